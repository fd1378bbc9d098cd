// Splits a SQL file with the runner's streaming splitter and reports
// throughput and peak memory: `splitter_bench FILE [DIALECT]`.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "sql/classifier.hpp"
#include "sql/splitter.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: splitter_bench FILE [sqlite|postgres|mysql] [--classify]\n");
    return 2;
  }
  const char* dialect = argc > 2 ? argv[2] : "postgres";
  const bool classify = argc > 3;
  const auto size = std::filesystem::file_size(argv[1]);
  const auto start = std::chrono::steady_clock::now();
  runner::sql::StatementReader reader(argv[1], dialect);
  std::size_t statements = 0;
  std::size_t schema = 0;
  while (const auto statement = reader.next()) {
    ++statements;
    if (classify && runner::sql::classify(statement->text, dialect).kind ==
                        runner::sql::StatementKind::schema) {
      ++schema;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("%s: %.1f MB, %zu statements%s in %.3f s: %.0f MB/s, peak RSS %.1f MB\n", dialect,
              static_cast<double>(size) / 1e6, statements, classify ? " (classified)" : "",
              seconds, static_cast<double>(size) / 1e6 / seconds,
              static_cast<double>(usage.ru_maxrss) / 1024.0);
  return schema > statements ? 1 : 0;
}
