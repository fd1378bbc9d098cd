#include <catch2/catch.hpp>

#include "sql/column_type.hpp"

using runner::sql::ColumnType;
using runner::sql::Narrowing;

namespace {

ColumnType type(const std::string& text, const std::string& dialect = "postgres") {
  std::size_t i = 0;
  return runner::sql::read_column_type(runner::sql::tokenize(text, dialect), i, dialect);
}

Narrowing narrows(const std::string& before, const std::string& after,
                  const std::string& dialect = "postgres") {
  return runner::sql::narrows(type(before, dialect), type(after, dialect));
}

}  // namespace

TEST_CASE("column type: read up to the constraints, sized and multi-word", "[sql]") {
  CHECK(type("character varying(20) NOT NULL DEFAULT 'x'").text == "CHARACTER VARYING(20)");
  CHECK(type("character varying(20)").base == "VARCHAR");
  CHECK(type("numeric(10, 2) USING n::numeric").text == "NUMERIC(10,2)");
  CHECK(type("double precision").base == "DOUBLE");
  CHECK(type("VARCHAR(50) CHARACTER SET utf8mb4", "mysql").text == "VARCHAR(50)");
  CHECK(type("INT(11) UNSIGNED", "mysql").base == "INTEGER");
  CHECK(type("NOT NULL").text.empty());
}

TEST_CASE("column type: narrowing within and across kinds", "[sql]") {
  CHECK(narrows("varchar(255)", "varchar(100)") == Narrowing::yes);
  CHECK(narrows("varchar(100)", "varchar(255)") == Narrowing::no);
  CHECK(narrows("varchar(100)", "text") == Narrowing::no);
  CHECK(narrows("text", "varchar(100)") == Narrowing::yes);
  CHECK(narrows("varchar", "varchar(10)") == Narrowing::yes);
  CHECK(narrows("bigint", "integer") == Narrowing::yes);
  CHECK(narrows("int4", "integer") == Narrowing::no);
  CHECK(narrows("smallint", "bigint") == Narrowing::no);
  CHECK(narrows("numeric(10,2)", "numeric(12,2)") == Narrowing::no);
  CHECK(narrows("numeric(10,2)", "numeric(10,1)") == Narrowing::yes);
  CHECK(narrows("numeric", "numeric(10,2)") == Narrowing::yes);
  CHECK(narrows("integer", "numeric(5,0)") == Narrowing::yes);
  CHECK(narrows("integer", "varchar(11)") == Narrowing::no);
  CHECK(narrows("integer", "varchar(5)") == Narrowing::yes);
  CHECK(narrows("text", "integer") == Narrowing::yes);
  CHECK(narrows("double precision", "real") == Narrowing::yes);
  CHECK(narrows("text", "date") == Narrowing::yes);
  CHECK(narrows("timestamp", "date") == Narrowing::unknown);
  CHECK(narrows("DECIMAL", "DECIMAL(10,0)", "mysql") == Narrowing::no);
  CHECK(narrows("TEXT", "VARCHAR(100)", "mysql") == Narrowing::yes);
  CHECK(narrows("INT(11)", "INT", "mysql") == Narrowing::no);
}
