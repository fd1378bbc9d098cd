#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "project/diagnostic.hpp"

using runner::project::Diagnostic;
using runner::project::format;
using runner::project::Severity;

TEST_CASE("diagnostic: path, line and column lead the message", "[diagnostic]") {
  CHECK(format(Diagnostic{"m.yaml", 3, 9, Severity::error, "bad id", {}}) ==
        "m.yaml:3:9: error: bad id");
  CHECK(format(Diagnostic{"m.yaml", 3, 0, Severity::error, "bad id", {}}) ==
        "m.yaml:3: error: bad id");
  CHECK(format(Diagnostic{"up/1_a.sql", 0, 0, Severity::warning, "odd", {}}) ==
        "up/1_a.sql: warning: odd");
}

TEST_CASE("diagnostic: the source line is shown with a caret under the column", "[diagnostic]") {
  CHECK(format(Diagnostic{"m.yaml", 2, 3, Severity::error, "here", "abcdef"}) ==
        "m.yaml:2:3: error: here\n    abcdef\n      ^");
  CHECK(format(Diagnostic{"m.yaml", 2, 0, Severity::error, "here", "abcdef"}) ==
        "m.yaml:2: error: here\n    abcdef");
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
