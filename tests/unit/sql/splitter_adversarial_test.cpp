// The splitter and reader against input an attacker or an odd editor would
// give them (issue 9): control bytes, COPY rows, glued MySQL delimiters, CR
// line endings, and unterminated text in a huge file.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "sql/splitter.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"
#include "util/text_reader.hpp"

using runner::sql::Copy;
using runner::sql::StatementReader;
using runner::testing::TempDir;

namespace {

struct Read {
  std::vector<std::string> texts;
  std::vector<std::string> rows;  // COPY rows read, per COPY statement
};

// Every statement of `text`, and the rows of each COPY FROM stdin, at the
// given chunk size.
Read read_all(const std::string& text, const std::string& dialect, std::size_t chunk = 65536) {
  TempDir dir;
  const auto path = dir.write("m.sql", text);
  StatementReader reader(path, dialect, nullptr, chunk);
  Read out;
  while (const auto statement = reader.next()) {
    out.texts.push_back(statement->text);
    if (statement->copy == Copy::from_stdin) {
      std::string rows;
      std::string piece;
      while (reader.read_copy_data(piece)) {
        rows += piece;
        piece.clear();
      }
      out.rows.push_back(rows);
    }
  }
  return out;
}

std::string error_of(const std::string& text, const std::string& dialect) {
  TempDir dir;
  const auto path = dir.write("bad.sql", text);
  try {
    StatementReader reader(path, dialect);
    while (reader.next()) {
    }
  } catch (const runner::InputError& e) {
    std::string message = e.what();
    message.replace(message.find(path.string()), path.string().size(), "{path}");
    return message;
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("reader: a NUL byte is refused with its line and column", "[reader][adversarial]") {
  const std::string text = std::string("DELETE FROM t\nWHERE id = 2") + '\0' + " OR 1 = 1;\n";
  const std::string message = error_of(text, "postgres");
  CHECK(message.rfind("{path}:2:13: error: control character U+0000 (NUL)", 0) == 0);
}

TEST_CASE("reader: other C0 controls are refused, TAB, LF and CR are not", "[reader][adversarial]") {
  CHECK(error_of("SELECT 1;\x1b[2J\n", "sqlite").find(":1:10: error: control character U+001B (ESC)") !=
        std::string::npos);
  CHECK(error_of("SELECT 'a\x0c';\n", "mysql").find("U+000C (FF)") != std::string::npos);
  CHECK(error_of("SELECT\t1;\r\nSELECT 2;\rSELECT 3;\n", "sqlite") == "(no error)");
}

TEST_CASE("reader: the refusal comes at any chunk size, after multibyte text", "[reader][adversarial]") {
  TempDir dir;
  const auto path = dir.write("m.sql", "-- caf\xC3\xA9\nSELECT '\xE2\x82\xAC\x01';\n");
  for (std::size_t chunk : {1u, 2u, 3u, 5u, 65536u}) {
    runner::util::TextReader reader(path, chunk);
    std::string out;
    try {
      while (reader.read_chunk(out)) {
      }
      FAIL("no error at chunk " << chunk);
    } catch (const runner::InputError& e) {
      CHECK(std::string(e.what()).find("m.sql:2:10: error: control character U+0001 (SOH)") !=
            std::string::npos);
    }
  }
}

TEST_CASE("reader: a FIFO or a directory named like a migration is not read", "[reader][adversarial]") {
  TempDir dir;
  const auto fifo = dir.path() / "0001_x.sql";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(runner::util::TextReader(fifo), Catch::Contains("not a regular file"));
  const auto folder = dir.path() / "0002_y.sql";
  std::filesystem::create_directory(folder);
  CHECK_THROWS_WITH(runner::util::TextReader(folder),
                    Catch::Contains("is a directory, not a regular file"));
}

TEST_CASE("splitter: COPY FROM stdin takes the rows up to the line \\.", "[splitter][copy]") {
  const std::string text =
      "CREATE TABLE t (a int, b text);\n"
      "COPY public.t (a, b) FROM stdin;\n"
      "1\tone; not a statement\n"
      "2\t-- not a comment\n"
      "\\.\n"
      "SELECT 1;\n";
  for (std::size_t chunk : {1u, 3u, 7u, 65536u}) {
    INFO("chunk " << chunk);
    const Read read = read_all(text, "postgres", chunk);
    REQUIRE(read.texts.size() == 3);
    CHECK(read.texts[1] == "COPY public.t (a, b) FROM stdin");
    CHECK(read.rows == std::vector<std::string>{"1\tone; not a statement\n2\t-- not a comment\n"});
    CHECK(read.texts[2] == "SELECT 1");
  }
}

TEST_CASE("splitter: unread COPY rows are skipped, and positions stay right", "[splitter][copy]") {
  TempDir dir;
  const auto path = dir.write("m.sql", "COPY t FROM STDIN WITH (FORMAT csv);\n1,\"a\nb\"\n\\.\nSELECT 2;\n");
  StatementReader reader(path, "postgres");
  const auto copy = reader.next();
  REQUIRE(copy);
  CHECK(copy->copy == Copy::from_stdin);
  CHECK(copy->data_line == 2);
  const auto next = reader.next();
  REQUIRE(next);
  CHECK(next->text == "SELECT 2");
  CHECK(next->line == 5);
}

TEST_CASE("splitter: COPY rows without the end marker are refused", "[splitter][copy]") {
  CHECK(error_of("COPY t FROM stdin;\n1\n2\n", "postgres") ==
        "{path}:1:1: error: the rows of this COPY ... FROM stdin are not ended by a line '\\.' "
        "before the end of the file");
  CHECK(error_of("COPY t FROM stdin; SELECT 1;\n\\.\n", "postgres").find(
            "text after COPY ... FROM stdin; on the same line") != std::string::npos);
}

TEST_CASE("splitter: COPY TO STDOUT is told apart, and COPY is PostgreSQL's only", "[splitter][copy]") {
  TempDir dir;
  const auto path = dir.write("m.sql", "COPY (SELECT 1 FROM stdin_t) TO STDOUT;\nCOPY \"from\" FROM '/x';\n");
  StatementReader reader(path, "postgres");
  CHECK(reader.next()->copy == Copy::to_stdout);
  CHECK(reader.next()->copy == Copy::none);
  const Read mysql = read_all("COPY t FROM stdin;\nSELECT 1;\n", "mysql");
  CHECK(mysql.texts == std::vector<std::string>{"COPY t FROM stdin", "SELECT 1"});
}

TEST_CASE("splitter: a MySQL delimiter glued to END still ends the statement", "[splitter][mysql]") {
  const std::string text =
      "DELIMITER $$\n"
      "CREATE PROCEDURE p()\n"
      "BEGIN\n"
      "  SELECT 1;\n"
      "END$$\n"
      "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END$$\n"
      "  DELIMITER ;\n"
      "INSERT INTO t VALUES (1);\n";
  for (std::size_t chunk : {1u, 2u, 65536u}) {
    INFO("chunk " << chunk);
    const Read read = read_all(text, "mysql", chunk);
    REQUIRE(read.texts.size() == 3);
    CHECK(read.texts[0] == "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND");
    CHECK(read.texts[1] ==
          "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END");
    CHECK(read.texts[2] == "INSERT INTO t VALUES (1)");
  }
}

TEST_CASE("splitter: PostgreSQL ends a line comment at a lone CR, as its server does", "[splitter]") {
  const Read pg = read_all("-- old Mac file\rCREATE TABLE t (a int);\r", "postgres");
  CHECK(pg.texts == std::vector<std::string>{"CREATE TABLE t (a int)"});
  const Read lite = read_all("-- old Mac file\rCREATE TABLE t (a int);\r", "sqlite");
  CHECK(lite.texts.empty());  // SQLite reads the same text as one comment, too
}

TEST_CASE("splitter: a lex-only pass keeps memory bounded by an unterminated string",
          "[splitter][memory]") {
  TempDir dir;
  std::string text = "SELECT 1;\nINSERT INTO t VALUES ('";
  text += std::string(8 << 20, 'x');
  const auto path = dir.write("big.sql", text);
  StatementReader reader(path, "sqlite");
  reader.set_text_limit(4096);
  REQUIRE(reader.next()->text == "SELECT 1");
  CHECK_THROWS_WITH(reader.next(), Catch::Contains(":2:23: error: unterminated string"));
}

TEST_CASE("splitter: a long statement read with a text limit is cut, the next one is exact",
          "[splitter][memory]") {
  TempDir dir;
  const std::string long_value(300 << 10, 'y');
  const auto path = dir.write(
      "m.sql", "INSERT INTO t VALUES ('" + long_value + "');\n-- c\nSELECT 2;\n");
  StatementReader reader(path, "postgres");
  reader.set_text_limit(1024);
  const auto first = reader.next();
  REQUIRE(first);
  CHECK(first->truncated);
  CHECK(first->text.size() < (200u << 10));
  CHECK(first->text.rfind("INSERT INTO t VALUES ('yyy", 0) == 0);
  const auto second = reader.next();
  REQUIRE(second);
  CHECK(second->text == "SELECT 2");
  CHECK(second->line == 3);
  CHECK(second->offset == 23 + long_value.size() + 4 + 5);
  CHECK_FALSE(second->truncated);
}

// Found by the splitter fuzz target: with a tiny text limit, the kept start
// of a statement ("CO") and the bytes read after a cut ("PY t ...") spelt a
// COPY ... FROM stdin that is not in the file, and the lex-only pass then
// read the next lines as its rows.
TEST_CASE("splitter: a cut statement's kept start and tail never spell a COPY",
          "[splitter][memory]") {
  const std::string text =
      "CO\xB7 \x81""COPY t (a) FROM stdin;\n1\ta;\nb\n\\.\nSELECT 1;\n";
  TempDir dir;
  const auto path = dir.write("m.sql", text);
  for (std::size_t chunk : {1u, 3u, 65536u}) {
    for (std::size_t limit : {1u, 2u, 3u, 8u}) {
      INFO("chunk " << chunk << ", limit " << limit);
      StatementReader reader(path, "postgres", nullptr, chunk);
      reader.set_text_limit(limit);
      std::vector<std::size_t> offsets;
      // Not a COPY: "1\ta;" is a statement of its own, and the "\." line,
      // not taken as the rows' end, is the psql command it is outside COPY.
      CHECK_THROWS_WITH(
          [&] {
            while (const auto statement = reader.next()) {
              CHECK(statement->copy == Copy::none);
              offsets.push_back(statement->offset);
            }
          }(),
          Catch::Contains("m.sql:4:1: error: '\\.' is a psql meta-command"));
      CHECK(offsets == std::vector<std::size_t>{0, 28});
    }
  }
}

TEST_CASE("splitter: a COPY read with a text limit is still a COPY", "[splitter][memory]") {
  TempDir dir;
  const auto path = dir.write("m.sql", "COPY t (a) FROM stdin;\n1\n2\n\\.\nSELECT 1;\n");
  for (std::size_t limit : {1u, 2u, 4u}) {
    INFO("limit " << limit);
    StatementReader reader(path, "postgres", nullptr, 1);
    reader.set_text_limit(limit);
    const auto copy = reader.next();
    REQUIRE(copy);
    CHECK(copy->copy == Copy::from_stdin);
    CHECK_FALSE(copy->truncated);
    const auto next = reader.next();
    REQUIRE(next);
    CHECK(next->offset == 30);
  }
}

// Found by the splitter fuzz target: an identifier with `$` in it (legal in
// PostgreSQL after the first character) cut by the end of a read chunk had
// its `$$` taken for the start of a dollar-quoted string.
TEST_CASE("splitter: an identifier's $$ is not a dollar quote at any chunk size", "[splitter]") {
  const std::string text = "SELECT D$$ FROM t;\nSELECT 'x';\n";
  for (std::size_t chunk = 1; chunk <= 12; ++chunk) {
    INFO("chunk " << chunk);
    CHECK(read_all(text, "postgres", chunk).texts ==
          std::vector<std::string>{"SELECT D$$ FROM t", "SELECT 'x'"});
  }
}
