#include <catch2/catch.hpp>

#include <string>

#include "sql/secrets.hpp"

using runner::sql::mask_secrets;
using runner::sql::mask_secrets_in_message;
using runner::sql::secret_literals;

TEST_CASE("secrets: PostgreSQL role passwords are masked", "[secrets]") {
  CHECK(mask_secrets("ALTER ROLE app PASSWORD 'secret'", "postgres") ==
        "ALTER ROLE app PASSWORD '***'");
  CHECK(mask_secrets("alter role app with password 'secret' valid until 'infinity'", "postgres") ==
        "alter role app with password '***' valid until 'infinity'");
  CHECK(mask_secrets("CREATE ROLE app LOGIN ENCRYPTED PASSWORD 'md5abc' CONNECTION LIMIT 3",
                     "postgres") ==
        "CREATE ROLE app LOGIN ENCRYPTED PASSWORD '***' CONNECTION LIMIT 3");
  CHECK(mask_secrets("CREATE USER app PASSWORD 'it''s'", "postgres") ==
        "CREATE USER app PASSWORD '***'");
  CHECK(mask_secrets("CREATE USER app PASSWORD E'a\\'b' LOGIN", "postgres") ==
        "CREATE USER app PASSWORD '***' LOGIN");
  CHECK(mask_secrets("CREATE USER app PASSWORD $pw$x'y$pw$ LOGIN", "postgres") ==
        "CREATE USER app PASSWORD '***' LOGIN");
  CHECK(mask_secrets("CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'bob', password 'pw')",
                     "postgres") ==
        "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'bob', password '***')");
  CHECK(mask_secrets("ALTER ROLE app PASSWORD NULL", "postgres") == "ALTER ROLE app PASSWORD NULL");
}

TEST_CASE("secrets: MySQL account passwords are masked", "[secrets]") {
  CHECK(mask_secrets("CREATE USER 'app'@'%' IDENTIFIED BY 'secret'", "mysql") ==
        "CREATE USER 'app'@'%' IDENTIFIED BY '***'");
  CHECK(mask_secrets("ALTER USER app IDENTIFIED BY \"secret\" REPLACE 'old' RETAIN CURRENT "
                     "PASSWORD",
                     "mysql") ==
        "ALTER USER app IDENTIFIED BY '***' REPLACE '***' RETAIN CURRENT PASSWORD");
  CHECK(mask_secrets("SET PASSWORD FOR 'app'@'localhost' = PASSWORD('secret')", "mysql") ==
        "SET PASSWORD FOR 'app'@'localhost' = PASSWORD('***')");
  CHECK(mask_secrets("SET PASSWORD FOR app@localhost = 'secret'", "mysql") ==
        "SET PASSWORD FOR app@localhost = '***'");
  CHECK(mask_secrets("SET PASSWORD = 'secret'", "mysql") == "SET PASSWORD = '***'");
  CHECK(mask_secrets("SET PASSWORD FOR CURRENT_USER() = OLD_PASSWORD('secret')", "mysql") ==
        "SET PASSWORD FOR CURRENT_USER() = OLD_PASSWORD('***')");
  CHECK(mask_secrets("CREATE USER app IDENTIFIED WITH mysql_native_password BY 'secret'",
                     "mysql") == "CREATE USER app IDENTIFIED WITH mysql_native_password BY '***'");
  CHECK(mask_secrets("CREATE USER app IDENTIFIED WITH 'caching_sha2_password' AS '$A$005$x'",
                     "mysql") ==
        "CREATE USER app IDENTIFIED WITH 'caching_sha2_password' AS '***'");
  CHECK(mask_secrets("CREATE USER app IDENTIFIED BY PASSWORD '*94BDCEBE19'", "mysql") ==
        "CREATE USER app IDENTIFIED BY PASSWORD '***'");
  CHECK(mask_secrets("CREATE USER app IDENTIFIED VIA ed25519 USING PASSWORD('a') OR "
                     "mysql_native_password USING 'hash'",
                     "mysql") ==
        "CREATE USER app IDENTIFIED VIA ed25519 USING PASSWORD('***') OR "
        "mysql_native_password USING '***'");
  CHECK(mask_secrets("CREATE USER app IDENTIFIED BY 'a\\'b' ACCOUNT LOCK", "mysql") ==
        "CREATE USER app IDENTIFIED BY '***' ACCOUNT LOCK");
  CHECK(mask_secrets("CREATE USER app IDENTIFIED BY _utf8mb4'pw', b IDENTIFIED BY 0x7077",
                     "mysql") == "CREATE USER app IDENTIFIED BY '***', b IDENTIFIED BY '***'");
  CHECK(mask_secrets("CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD='pw'", "mysql") ==
        "CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD='***'");
  CHECK(mask_secrets("CREATE USER app IDENTIFIED BY RANDOM PASSWORD", "mysql") ==
        "CREATE USER app IDENTIFIED BY RANDOM PASSWORD");
}

TEST_CASE("secrets: keywords are case-insensitive and may be split by comments", "[secrets]") {
  CHECK(mask_secrets("create user app identified by 'pw'", "mysql") ==
        "create user app identified by '***'");
  CHECK(mask_secrets("ALTER ROLE app PASSWORD /* new */ 'pw'", "postgres") ==
        "ALTER ROLE app PASSWORD /* new */ '***'");
  CHECK(mask_secrets("ALTER ROLE app PASSWORD -- new\n 'pw'", "postgres") ==
        "ALTER ROLE app PASSWORD -- new\n '***'");
}

TEST_CASE("secrets: passwords inside bodies and comments are masked", "[secrets]") {
  CHECK(mask_secrets("DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD 'pw'; END $$", "postgres") ==
        "DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD '***'; END $$");
  CHECK(mask_secrets("DO $$ BEGIN EXECUTE 'ALTER ROLE app PASSWORD ''pw'''; END $$", "postgres") ==
        "DO $$ BEGIN EXECUTE 'ALTER ROLE app PASSWORD '***''; END $$");
  CHECK(mask_secrets("SELECT 1 -- was: ALTER ROLE app PASSWORD 'old'", "postgres") ==
        "SELECT 1 -- was: ALTER ROLE app PASSWORD '***'");
  CHECK(mask_secrets("SELECT dblink_connect('host=h user=u password=pw dbname=d')", "postgres") ==
        "SELECT dblink_connect('host=h user=u password='***' dbname=d')");
}

TEST_CASE("secrets: password= outside a literal is not a connection string", "[secrets]") {
  // main masks every error message: a redacted URL in one must stay as it is.
  for (const char* text :
       {"cannot connect to postgres://app@db/shop?password=***&sslmode=disable: refused",
        "cannot connect to postgres://app@db/shop?password=***: refused",
        "UPDATE users SET password=crypt('x', gen_salt('bf'))"}) {
    INFO(text);
    CHECK(mask_secrets(text, "") == text);
  }
  CHECK(mask_secrets("SELECT dblink_connect('password=***')", "") ==
        "SELECT dblink_connect('password=***')");
  // A redacted URL quoted in a message, a parameter after the hidden one.
  for (const char* text :
       {"database URL 'mysql://u:***@h/db?sslpassword=***&connect_timeout=5': unknown parameter",
        "database URL 'mysql://u@h/db?password=***&charset=utf8mb4': unknown parameter"}) {
    INFO(text);
    CHECK(mask_secrets(text, "") == text);
  }
}

TEST_CASE("secrets: deeply nested comments do not exhaust the stack", "[secrets]") {
  std::string text = "SELECT 1 ";
  for (int i = 0; i < 200000; ++i) {
    text += "--/*";
  }
  text += "\nALTER ROLE a PASSWORD 'pw'";
  const std::string masked = mask_secrets(text, "postgres");
  CHECK(masked.substr(masked.size() - 27) == "ALTER ROLE a PASSWORD '***'");
}

TEST_CASE("secrets: a literal cut short is masked to the end", "[secrets]") {
  CHECK(mask_secrets("ALTER ROLE app PASSWORD 'long-secret-cut-he...", "postgres") ==
        "ALTER ROLE app PASSWORD '***'");
  CHECK(mask_secrets("CREATE USER a IDENTIFIED BY", "mysql") == "CREATE USER a IDENTIFIED BY");
}

TEST_CASE("secrets: text that only mentions passwords is left alone", "[secrets]") {
  for (const char* text :
       {"INSERT INTO help (text) VALUES ('Reset your password', 'x')",
        "ALTER TABLE users ADD COLUMN password text NOT NULL DEFAULT ''",
        "INSERT INTO users (name, password) VALUES ('a', 'b')",
        "SELECT password FROM users WHERE name = 'x'", "REPLACE INTO t VALUES ('x')",
        "SELECT REPLACE(name, 'a', 'b') FROM t", "CREATE OR REPLACE VIEW v AS SELECT 'x'",
        "COMMENT ON COLUMN users.password IS 'bcrypt hash'", "SELECT $1, 'by' AS x",
        "password authentication failed for user \"app\"",
        "Access denied for user 'app'@'localhost' (using password: YES)"}) {
    INFO(text);
    CHECK(mask_secrets(text, "postgres") == text);
    CHECK(mask_secrets(text, "mysql") == text);
  }
}

TEST_CASE("secrets: an UPDATE of a password column masks the new value", "[secrets]") {
  CHECK(mask_secrets("UPDATE users SET password = 'x' WHERE id = 1", "sqlite") ==
        "UPDATE users SET password = '***' WHERE id = 1");
}

TEST_CASE("secrets: masking is idempotent and leaves the rest as written", "[secrets]") {
  const std::string once =
      mask_secrets("ALTER ROLE a PASSWORD 'p'; ALTER ROLE b PASSWORD 'q'", "postgres");
  CHECK(once == "ALTER ROLE a PASSWORD '***'; ALTER ROLE b PASSWORD '***'");
  CHECK(mask_secrets(once, "postgres") == once);
}

TEST_CASE("secrets: secret_literals says where each literal stands", "[secrets]") {
  using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;
  CHECK(secret_literals("ALTER ROLE a PASSWORD 'p'", "postgres") == Ranges{{22, 3}});
  CHECK(secret_literals("SELECT 1", "postgres").empty());
}

TEST_CASE("secrets: a PostgreSQL message quoting the literal alone is masked", "[secrets]") {
  CHECK(mask_secrets_in_message("syntax error at or near \"'hunter2'\"",
                                "CREATE ROLE PASSWORD 'hunter2'",
                                "postgres") == "syntax error at or near \"'***'\"");
}

TEST_CASE("secrets: MySQL's near '...' copy of the statement is masked by position", "[secrets]") {
  const std::string statement = "CREATE USER app IDENTIFIED BY 'hunter2' PASWORD EXPIRE";
  CHECK(mask_secrets_in_message(
            "You have an error in your SQL syntax; check the manual for the right syntax to use "
            "near 'BY 'hunter2' PASWORD EXPIRE' at line 1",
            statement, "mysql") ==
        "You have an error in your SQL syntax; check the manual for the right syntax to use "
        "near 'BY '***' PASWORD EXPIRE' at line 1");
  // MySQL quotes at most 80 characters: a literal cut there is hidden too.
  const std::string long_secret(100, 'z');
  const std::string cut = "CREATE USER app IDENTIFIED BY '" + long_secret + "' x";
  const std::string quoted = cut.substr(27, 80);
  CHECK(mask_secrets_in_message("... near '" + quoted + "' at line 1", cut, "mysql") ==
        "... near 'BY '***'' at line 1");
}

TEST_CASE("secrets: a message about a statement without a password is unchanged", "[secrets]") {
  const std::string message = "near 'password 'x'' at line 1";
  CHECK(mask_secrets_in_message(message, "SELECT name FROM users", "mysql") == message);
}
