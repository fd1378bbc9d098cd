#pragma once
// SHA-256 through OpenSSL's libcrypto, fed incrementally.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace runner::util {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  // Adds bytes to the digest.
  void update(std::string_view bytes);
  // Finishes the digest and returns it as 64 lowercase hex digits.
  std::string hex_digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Readies OpenSSL's random generator and its SHA-256 ahead of their
// first use.
void warm_crypto();

// `length` letters and digits from OpenSSL's random generator (a secret
// no file the runner reads can guess).
std::string random_key(std::size_t length);

// Digest of a whole string, as hex.
std::string sha256_hex(std::string_view bytes);

}  // namespace runner::util
