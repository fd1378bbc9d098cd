// Linked only into the static build (-Dstatic=true), in place of
// libgssapi_krb5 and libldap, for which Debian ships no usable static
// archive. Debian's libpq.a calls both:
// - GSSAPI for Kerberos authentication and GSS encryption. With
//   gssencmode=prefer (the default) libpq first asks gss_acquire_cred for a
//   credential cache; failing here, it goes on without GSS encryption, as it
//   does on a machine without a Kerberos ticket. A server that demands GSS
//   authentication gets the error text below.
// - LDAP only for `ldap://` lines in a pg_service.conf; ldap_init failing
//   makes libpq report that it could not create the LDAP structure.
// So the static runner connects with passwords, SCRAM, certificates and
// TLS exactly as the packaged one does; it lacks only Kerberos and LDAP
// service lookups (README, "A self-contained binary").
//
// The declarations follow <gssapi/gssapi.h> and <ldap.h> closely enough for
// the C calling convention: 32-bit status words, pointers for the rest.

#include <cstddef>
#include <cstdint>

namespace {

using OmUint32 = std::uint32_t;
constexpr OmUint32 k_gss_failure = 13u << 16;  // GSS_S_FAILURE
constexpr int k_ldap_not_supported = -12;      // LDAP_NOT_SUPPORTED

char k_message[] = "GSSAPI (Kerberos) is not available in the static runner";

struct GssBuffer {
  std::size_t length;
  void* value;
};

}  // namespace

extern "C" {

// gss_OID GSS_C_NT_HOSTBASED_SERVICE: passed back to gss_import_name only.
void* GSS_C_NT_HOSTBASED_SERVICE = nullptr;

OmUint32 gss_acquire_cred(OmUint32* minor, void*, OmUint32, void*, int, void**, void**,
                          OmUint32*) {
  *minor = 0;
  return k_gss_failure;
}

OmUint32 gss_import_name(OmUint32* minor, void*, void*, void**) {
  *minor = 0;
  return k_gss_failure;
}

OmUint32 gss_init_sec_context(OmUint32* minor, void*, void**, void*, void*, OmUint32, OmUint32,
                              void*, void*, void*, void*, OmUint32*, OmUint32*) {
  *minor = 0;
  return k_gss_failure;
}

OmUint32 gss_display_status(OmUint32* minor, OmUint32, int, void*, OmUint32* message_context,
                            GssBuffer* status_string) {
  *minor = 0;
  *message_context = 0;  // one message: libpq's loop ends
  status_string->length = sizeof(k_message) - 1;
  status_string->value = k_message;
  return 0;
}

OmUint32 gss_release_buffer(OmUint32* minor, GssBuffer* buffer) {
  *minor = 0;
  if (buffer != nullptr) {
    buffer->length = 0;
    buffer->value = nullptr;
  }
  return 0;
}

OmUint32 gss_delete_sec_context(OmUint32* minor, void**, void*) {
  *minor = 0;
  return 0;
}

OmUint32 gss_release_cred(OmUint32* minor, void**) {
  *minor = 0;
  return 0;
}

OmUint32 gss_release_name(OmUint32* minor, void**) {
  *minor = 0;
  return 0;
}

OmUint32 gss_wrap(OmUint32* minor, void*, int, OmUint32, void*, int*, void*) {
  *minor = 0;
  return k_gss_failure;
}

OmUint32 gss_unwrap(OmUint32* minor, void*, void*, void*, int*, OmUint32*) {
  *minor = 0;
  return k_gss_failure;
}

OmUint32 gss_wrap_size_limit(OmUint32* minor, void*, int, OmUint32, OmUint32, OmUint32*) {
  *minor = 0;
  return k_gss_failure;
}

void* ldap_init(const char*, int) { return nullptr; }
int ldap_set_option(void*, int, const void*) { return k_ldap_not_supported; }
int ldap_simple_bind(void*, const char*, const char*) { return -1; }
int ldap_search_st(void*, const char*, int, const char*, char**, int, void*, void**) {
  return k_ldap_not_supported;
}
int ldap_result(void*, int, int, void*, void**) { return -1; }
int ldap_count_entries(void*, void*) { return -1; }
void* ldap_first_entry(void*, void*) { return nullptr; }
void** ldap_get_values_len(void*, void*, const char*) { return nullptr; }
void ldap_value_free_len(void**) {}
int ldap_msgfree(void*) { return 0; }
int ldap_unbind(void*) { return 0; }
const char* ldap_err2string(int) { return "LDAP is not available in the static runner"; }

}  // extern "C"
