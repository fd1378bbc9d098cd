#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "util/errors.hpp"
#include "util/sha256.hpp"
#include "util/text_reader.hpp"

using runner::testing::TempDir;
using runner::util::file_checksum;
using runner::util::read_text_file;
using runner::util::sha256_hex;
using runner::util::TextReader;

namespace {

// Every chunk of `path` read with `chunk_size`, joined.
std::string read_all(const std::filesystem::path& path, std::size_t chunk_size) {
  TextReader reader(path, chunk_size);
  std::string text;
  std::string chunk;
  while (reader.read_chunk(chunk)) {
    text += chunk;
    chunk.clear();
  }
  return text;
}

const std::string k_lf = "CREATE TABLE t (x INT);\nINSERT INTO t VALUES (1);\n";
const std::string k_crlf = "CREATE TABLE t (x INT);\r\nINSERT INTO t VALUES (1);\r\n";
const std::string k_bom = "\xEF\xBB\xBF";

}  // namespace

TEST_CASE("sha256: digests match the published test vectors", "[sha256]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256: feeding in pieces gives the digest of the whole", "[sha256]") {
  runner::util::Sha256 hash;
  hash.update("a");
  hash.update("");
  hash.update("bc");
  CHECK(hash.hex_digest() == sha256_hex("abc"));
}

TEST_CASE("sha256: readying OpenSSL on one thread while another hashes changes no digest",
          "[sha256]") {
  // The driver preload readies OpenSSL while the checksum thread hashes.
  std::thread warm([] { runner::util::warm_crypto(); });
  std::vector<std::string> digests;
  for (int i = 0; i < 50; ++i) {
    digests.push_back(sha256_hex("abc"));
  }
  warm.join();
  runner::util::warm_crypto();  // again: nothing changes
  for (const auto& digest : digests) {
    CHECK(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("checksum: LF, CRLF and BOM+CRLF versions of a file are the same", "[checksum]") {
  TempDir dir;
  const auto lf = file_checksum(dir.write("lf.sql", k_lf));
  CHECK(lf == sha256_hex(k_lf));
  CHECK(file_checksum(dir.write("crlf.sql", k_crlf)) == lf);
  CHECK(file_checksum(dir.write("bom_crlf.sql", k_bom + k_crlf)) == lf);
  CHECK(file_checksum(dir.write("bom_lf.sql", k_bom + k_lf)) == lf);
}

TEST_CASE("checksum: different text gives a different checksum", "[checksum]") {
  TempDir dir;
  CHECK(file_checksum(dir.write("a.sql", k_lf)) !=
        file_checksum(dir.write("b.sql", "CREATE TABLE t (x INT);\nINSERT INTO t VALUES (2);\n")));
  CHECK(file_checksum(dir.write("c.sql", k_lf)) != file_checksum(dir.write("d.sql", k_lf + "\n")));
}

TEST_CASE("checksum: an empty file has the digest of no bytes", "[checksum]") {
  TempDir dir;
  CHECK(file_checksum(dir.write("empty.sql", "")) == sha256_hex(""));
  CHECK(file_checksum(dir.write("bom.sql", k_bom)) == sha256_hex(""));
}

TEST_CASE("text reader: CRLF split across a chunk boundary still becomes LF", "[text_reader]") {
  TempDir dir;
  const auto path = dir.write("crlf.sql", k_crlf);
  for (std::size_t chunk_size = 1; chunk_size <= 8; ++chunk_size) {
    INFO("chunk_size " << chunk_size);
    CHECK(read_all(path, chunk_size) == k_lf);
  }
  // "\r" the last byte of a 4-byte chunk, "\n" the first of the next.
  CHECK(read_all(dir.write("edge.sql", "abc\r\ndefg\r\nh"), 4) == "abc\ndefg\nh");
}

TEST_CASE("text reader: a BOM is dropped whatever the chunk size", "[text_reader]") {
  TempDir dir;
  const auto path = dir.write("bom.sql", k_bom + k_crlf);
  for (std::size_t chunk_size = 1; chunk_size <= 4; ++chunk_size) {
    INFO("chunk_size " << chunk_size);
    CHECK(read_all(path, chunk_size) == k_lf);
  }
}

TEST_CASE("text reader: the bytes kept raw are the file's as on disk, whatever the chunk size",
          "[text_reader]") {
  TempDir dir;
  const std::string bytes = k_bom + k_crlf + "x\r";
  const auto path = dir.write("raw.sql", bytes);
  for (std::size_t chunk_size = 1; chunk_size <= 5; ++chunk_size) {
    INFO("chunk_size " << chunk_size);
    TextReader reader(path, chunk_size);
    std::string raw;
    reader.keep_raw(&raw);
    std::string text;
    while (reader.read_chunk(text)) {
    }
    CHECK(text == k_lf + "x\r");
    CHECK(raw == bytes);
  }
  std::string raw = "left over";
  CHECK(read_text_file(path, &raw) == k_lf + "x\r");
  CHECK(raw == bytes);
}

TEST_CASE("text reader: a BOM is dropped only at the start of the file", "[text_reader]") {
  TempDir dir;
  const auto path = dir.write("mid.sql", "a" + k_bom + "b");
  CHECK(read_all(path, 64) == "a" + k_bom + "b");
}

TEST_CASE("text reader: a lone CR is kept", "[text_reader]") {
  TempDir dir;
  const auto path = dir.write("cr.sql", "a\rb\r\r\nc\r");
  for (std::size_t chunk_size : {1u, 2u, 3u, 64u}) {
    INFO("chunk_size " << chunk_size);
    CHECK(read_all(path, chunk_size) == "a\rb\r\nc\r");
  }
}

TEST_CASE("text reader: the hasher sees exactly the normalised text", "[text_reader]") {
  TempDir dir;
  const auto path = dir.write("crlf.sql", k_crlf + "\r");
  for (std::size_t chunk_size : {1u, 2u, 3u, 5u, 64u}) {
    INFO("chunk_size " << chunk_size);
    TextReader reader(path, chunk_size);
    runner::util::Sha256 hash;
    reader.set_hasher(&hash);
    std::string chunk;
    while (reader.read_chunk(chunk)) {
      chunk.clear();
    }
    CHECK(hash.hex_digest() == sha256_hex(k_lf + "\r"));
  }
}

TEST_CASE("text reader: read_chunk appends to what the caller holds", "[text_reader]") {
  TempDir dir;
  const auto path = dir.write("x.sql", "abcdef");
  TextReader reader(path, 4);
  std::string text = "keep:";
  CHECK(reader.read_chunk(text));
  CHECK(text == "keep:abcd");
  CHECK(reader.read_chunk(text));
  CHECK(text == "keep:abcdef");
  CHECK_FALSE(reader.read_chunk(text));
  CHECK(text == "keep:abcdef");
}

TEST_CASE("text reader: read_text_file normalises the whole file", "[text_reader]") {
  TempDir dir;
  CHECK(read_text_file(dir.write("m.yaml", k_bom + k_crlf)) == k_lf);
}

TEST_CASE("text reader: a UTF-16 file is refused as such, not at its first NUL", "[text_reader]") {
  TempDir dir;
  for (const std::string bom : {"\xFF\xFE", "\xFE\xFF"}) {
    const auto path = dir.write("utf16.sql", bom + std::string("C\0R\0", 4));
    CHECK_THROWS_MATCHES(
        read_text_file(path), runner::InputError,
        Catch::Message(path.string() + ":1:1: error: the file is UTF-16 (it begins with UTF-16's "
                                       "byte order mark); the runner reads UTF-8 text: save it "
                                       "as UTF-8"));
  }
}

TEST_CASE("text reader: temporary names beside a file never repeat", "[text_reader]") {
  const std::filesystem::path path = "/project/.runner/checksums";
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto temporary = runner::util::temporary_beside(path);
    CHECK(temporary.parent_path() == path.parent_path());
    CHECK(temporary.filename().string().rfind("checksums.", 0) == 0);
    CHECK(temporary.extension() == ".runner-tmp");
    seen.insert(temporary.string());
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("text reader: a missing file is an InputError naming it", "[text_reader]") {
  TempDir dir;
  const auto path = dir.path() / "missing.sql";
  CHECK_THROWS_MATCHES(TextReader(path), runner::InputError,
                       Catch::Message(path.string() + ": cannot read: No such file or directory"));
  CHECK_THROWS_AS(file_checksum(path), runner::InputError);
}

TEST_CASE(
    "text reader: a file opened within its folder's descriptor reads the same, and its "
    "errors name the path shown",
    "[text_reader]") {
  TempDir dir;
  const auto path = dir.write("up/0001_a.sql", k_bom + k_crlf);
  const int folder = open((dir.path() / "up").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(folder >= 0);
  {
    TextReader reader(folder, "0001_a.sql", path);
    CHECK(reader.info().st_size == static_cast<off_t>((k_bom + k_crlf).size()));
    struct stat info {};
    REQUIRE(stat(path.c_str(), &info) == 0);
    CHECK(reader.info().st_ino == info.st_ino);
    CHECK(file_checksum(reader) == file_checksum(path));
    CHECK(file_checksum(path) == sha256_hex(k_lf));
  }
  const auto shown = dir.path() / "up" / "0002_gone.sql";
  CHECK_THROWS_MATCHES(TextReader(folder, "0002_gone.sql", shown), runner::InputError,
                       Catch::Message(shown.string() + ": cannot read: No such file or directory"));
  close(folder);
}

TEST_CASE("text reader: a FIFO or a folder is refused at once, never read", "[text_reader]") {
  TempDir dir;
  const auto fifo = dir.path() / "0001_fifo.sql";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // A blocking open of a FIFO with no writer would never return.
  CHECK_THROWS_MATCHES(TextReader(fifo), runner::InputError,
                       Catch::Message(fifo.string() + ": is a FIFO, not a regular file"));
  CHECK_THROWS_MATCHES(
      TextReader(dir.path()), runner::InputError,
      Catch::Message(dir.path().string() + ": is a directory, not a regular file"));
}

TEST_CASE("text reader: files shorter than, equal to and longer than a chunk read whole",
          "[text_reader]") {
  TempDir dir;
  // Sizes around the chunk: none, less than a BOM, a BOM alone, exactly
  // one chunk, one byte over.
  for (const std::string& text : {std::string(), std::string("ab"), k_bom, std::string("abcd"),
                                  std::string("abcde"), k_bom + "x\r\ny\r"}) {
    const auto path = dir.write("f.sql", text);
    std::string expected = text.starts_with(k_bom) ? text.substr(3) : text;
    for (std::size_t at = expected.find("\r\n"); at != std::string::npos;
         at = expected.find("\r\n", at)) {
      expected.erase(at, 1);
    }
    CHECK(read_all(path, 4) == expected);
    CHECK(read_all(path, 64 * 1024) == expected);
  }
}
