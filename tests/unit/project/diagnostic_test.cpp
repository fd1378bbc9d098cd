#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "project/diagnostic.hpp"
#include "util/caret.hpp"

using runner::project::Diagnostic;
using runner::project::format;
using runner::project::Severity;
using runner::util::caret_excerpt;

TEST_CASE("diagnostic: path, line and column lead the message", "[diagnostic]") {
  CHECK(format(Diagnostic{"m.yaml", 3, 9, Severity::error, "bad id", {}}) ==
        "m.yaml:3:9: error: bad id");
  CHECK(format(Diagnostic{"m.yaml", 3, 0, Severity::error, "bad id", {}}) ==
        "m.yaml:3: error: bad id");
  CHECK(format(Diagnostic{"up/1_a.sql", 0, 0, Severity::warning, "odd", {}}) ==
        "up/1_a.sql: warning: odd");
}

TEST_CASE("diagnostic: the source line is shown with a caret under the column", "[diagnostic]") {
  CHECK(format(Diagnostic{"m.yaml", 2, 3, Severity::error, "here", caret_excerpt("abcdef", 3)}) ==
        "m.yaml:2:3: error: here\n    abcdef\n      ^");
  CHECK(format(Diagnostic{"m.yaml", 2, 0, Severity::error, "here", caret_excerpt("abcdef", 0)}) ==
        "m.yaml:2: error: here\n    abcdef");
}

TEST_CASE("diagnostic: a ProjectError shows the first 50 diagnostics and counts the rest",
          "[diagnostic]") {
  std::vector<Diagnostic> many;
  for (int i = 1; i <= 6000; ++i) {
    many.push_back({"up.sql", 1, i, Severity::error, "refused", {}});
  }
  const std::string text = runner::project::ProjectError(std::move(many)).what();
  CHECK(std::count(text.begin(), text.end(), '\n') == 50);
  CHECK_THAT(text, Catch::StartsWith("up.sql:1:1: error: refused\nup.sql:1:2: error: refused\n"));
  CHECK_THAT(text,
             Catch::EndsWith("up.sql:1:50: error: refused\nand 5950 more problem(s), not shown"));
}

TEST_CASE("diagnostic: warnings alone are not errors", "[diagnostic]") {
  std::vector<Diagnostic> diagnostics{{"a", 1, 1, Severity::warning, "w", {}}};
  CHECK_FALSE(runner::project::has_errors(diagnostics));
  diagnostics.push_back({"a", 2, 1, Severity::error, "e", {}});
  CHECK(runner::project::has_errors(diagnostics));
  CHECK_FALSE(runner::project::has_errors({}));
}

TEST_CASE("diagnostic: a ProjectError carries every diagnostic, one per line", "[diagnostic]") {
  const runner::project::ProjectError error(
      {{"a.yaml", 1, 2, Severity::error, "one", {}}, {"b.sql", 0, 0, Severity::error, "two", {}}});
  CHECK(std::string(error.what()) == "a.yaml:1:2: error: one\nb.sql: error: two");
  CHECK(error.diagnostics().size() == 2);
  CHECK(error.exit_code() == runner::ExitCode::bad_input);
}
