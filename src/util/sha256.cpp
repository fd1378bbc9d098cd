#include "util/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "util/library.hpp"

namespace runner::util {

namespace {

// The libcrypto functions called below, through one table. A build with
// RUNNER_LAZY_CRYPTO (a dynamic build) loads libcrypto.so.3 the first time
// a digest is taken: relocating it costs about 2.5 ms, which a no-op `up`
// whose files are all in the checksum cache (project/cache.hpp) does not
// need to pay. The static build's table points at the linked functions.
#define RUNNER_CRYPTO_FUNCTIONS(X)                                                            \
  X(EVP_MD_fetch)                                                                             \
  X(EVP_sha256) X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_DigestInit_ex) X(EVP_DigestUpdate) \
      X(EVP_DigestFinal_ex) X(RAND_status) X(RAND_bytes)

struct Crypto {
  RUNNER_CRYPTO_FUNCTIONS(RUNNER_LIBRARY_MEMBER)
};

#ifdef RUNNER_LAZY_CRYPTO

const LibrarySpec k_crypto{
    "libcrypto.so.3", "a checksum", "OpenSSL's library", " (OpenSSL 3)",
    "install Debian's libssl3 (a dependency of the runner's package), or use the static binary"};

const Crypto& crypto() {
  static const Crypto lib = load_table<Crypto>(  // a throw leaves it to be tried again
      k_crypto, [](Crypto& t, const Library& lib) { RUNNER_CRYPTO_FUNCTIONS(RUNNER_LIBRARY_BIND) });
  return lib;
}

#else

const Crypto& crypto() {
  static const Crypto lib{RUNNER_CRYPTO_FUNCTIONS(RUNNER_LIBRARY_LINKED)};
  return lib;
}

#endif

}  // namespace

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

namespace {

// OpenSSL 3 looks the algorithm up in its provider tables on every
// EVP_sha256() init; fetched once, a checksum of 1,000 small files no
// longer spends most of its time there.
const EVP_MD* sha256_md() {
  static EVP_MD* md = crypto().EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : crypto().EVP_sha256();
}

}  // namespace

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {
  const EVP_MD* md = sha256_md();
  m_impl->ctx = crypto().EVP_MD_CTX_new();
  if (m_impl->ctx == nullptr || crypto().EVP_DigestInit_ex(m_impl->ctx, md, nullptr) != 1) {
    throw std::runtime_error("cannot initialise SHA-256");
  }
}

Sha256::~Sha256() {
  if (m_impl->ctx != nullptr) {
    crypto().EVP_MD_CTX_free(m_impl->ctx);
  }
}

void Sha256::update(std::string_view bytes) {
  crypto().EVP_DigestUpdate(m_impl->ctx, bytes.data(), bytes.size());
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  crypto().EVP_DigestFinal_ex(m_impl->ctx, digest, &length);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(k_hex[digest[i] >> 4]);
    out.push_back(k_hex[digest[i] & 0x0f]);
  }
  return out;
}

void warm_crypto() {
  sha256_md();
  crypto().RAND_status();
}

std::string random_key(std::size_t length) {
  static constexpr std::string_view k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // 248 = 4 * 62: a byte at or above it is drawn again, so every letter
  // and digit is as likely.
  static constexpr unsigned k_limit = 4 * k_alphabet.size();
  std::string key;
  while (key.size() < length) {
    unsigned char bytes[64];
    if (crypto().RAND_bytes(bytes, sizeof bytes) != 1) {
      throw std::runtime_error("cannot draw random bytes from OpenSSL");
    }
    for (const unsigned char byte : bytes) {
      if (byte < k_limit && key.size() < length) {
        key.push_back(k_alphabet[byte % k_alphabet.size()]);
      }
    }
  }
  return key;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.hex_digest();
}

}  // namespace runner::util
