#include "refs/refs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hs.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <memory>
#include <map>
#include <thread>

#include <fmt/core.h>

#include "exec/executor.hpp"
#include "exec/signals.hpp"
#include "schema/schema.hpp"
#include "util/errors.hpp"

namespace runner::refs {
namespace {

namespace fs = std::filesystem;

// What a schema holds, by the bare names code uses: "table t", "column t.c",
// "view v", "index i" -> the bare name.
std::map<std::string, std::string> names_of(const schema::Schema& schema) {
  std::map<std::string, std::string> names;
  for (const auto& table : schema.tables) {
    const std::string t = schema::bare_name(table.name);
    names["table " + t] = t;
    for (const auto& column : table.columns) {
      const std::string c = schema::bare_name(column.name);
      names["column " + t + "." + c] = c;
    }
  }
  for (const auto& object : schema.objects) {
    if (object.kind != "view" && object.kind != "index") {
      continue;
    }
    const std::string name = schema::bare_name(object.name.substr(0, object.name.find(" on ")));
    names[object.kind + " " + name] = name;
  }
  return names;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Where the names occur in a text, in one pass: a Vectorscan database of
// the literal names, which reports each occurrence with its end offset.
// Whole words are checked afterwards. Where Vectorscan cannot run (a
// processor without the instructions it needs) or for a text longer than it
// scans at once, each name is looked for with a plain search: slower, never
// different.
class Matcher {
 public:
  explicit Matcher(const std::vector<std::string>& names) : m_names(names) {
    if (hs_valid_platform() != HS_SUCCESS) {
      return;
    }
    std::vector<const char*> expressions;
    std::vector<std::size_t> lengths;
    // Unquoted SQL names fold case: USERS is users (an other-case hit is
    // said as possible, not stale).
    std::vector<unsigned> flags(names.size(), HS_FLAG_CASELESS);
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < names.size(); ++i) {
      expressions.push_back(names[i].data());
      lengths.push_back(names[i].size());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* error = nullptr;
    if (hs_compile_lit_multi(expressions.data(), flags.data(), ids.data(), lengths.data(),
                             static_cast<unsigned>(names.size()), HS_MODE_BLOCK, nullptr,
                             &m_database, &error) != HS_SUCCESS) {
      const std::string message = error != nullptr && error->message != nullptr
                                      ? error->message
                                      : "unknown error";
      hs_free_compile_error(error);
      throw InputError(fmt::format("refs: cannot prepare the search for the names: {}", message));
    }
    if (hs_alloc_scratch(m_database, &m_scratch) != HS_SUCCESS) {
      hs_free_database(m_database);
      throw InputError("refs: cannot allocate the search's scratch space");
    }
  }
  ~Matcher() {
    hs_free_scratch(m_scratch);
    hs_free_database(m_database);
  }
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // A scratch space of its own for one scanning thread (null: none needed).
  hs_scratch_t* clone_scratch() const {
    hs_scratch_t* scratch = nullptr;
    if (m_scratch != nullptr && hs_clone_scratch(m_scratch, &scratch) != HS_SUCCESS) {
      throw InputError("refs: cannot allocate the search's scratch space");
    }
    return scratch;
  }

  // Every occurrence of a name in `text` (whole word or not): its offset
  // and the name's index, in no particular order.
  std::vector<std::pair<std::size_t, int>> occurrences(std::string_view text,
                                                       hs_scratch_t* scratch) const {
    Found found{&m_names, {}};
    if (m_database != nullptr && scratch != nullptr && text.size() <= UINT_MAX &&
        hs_scan(m_database, text.data(), static_cast<unsigned>(text.size()), 0, scratch,
                on_match, &found) == HS_SUCCESS) {
      return std::move(found.at);
    }
    found.at.clear();
    const auto same = [](char a, char b) { return ascii_lower(a) == ascii_lower(b); };
    for (std::size_t i = 0; i < m_names.size(); ++i) {
      const std::string& name = m_names[i];
      for (auto it = std::search(text.begin(), text.end(), name.begin(), name.end(), same);
           it != text.end(); it = std::search(it + 1, text.end(), name.begin(), name.end(), same)) {
        found.at.emplace_back(static_cast<std::size_t>(it - text.begin()), static_cast<int>(i));
      }
    }
    return std::move(found.at);
  }

 private:
  struct Found {
    const std::vector<std::string>* names;
    std::vector<std::pair<std::size_t, int>> at;
  };
  static int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to,
                      unsigned /*flags*/, void* context) {
    auto* found = static_cast<Found*>(context);
    found->at.emplace_back(static_cast<std::size_t>(to) - (*found->names)[id].size(),
                           static_cast<int>(id));
    return 0;  // go on: every occurrence
  }

  const std::vector<std::string>& m_names;
  hs_database_t* m_database = nullptr;
  hs_scratch_t* m_scratch = nullptr;
};

// A file's bytes, read with one read() a time into a buffer each scanning
// thread reuses (no stream copies, no zero-filling).
class FileBuffer {
 public:
  // False when the file cannot be opened or read.
  bool read(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return false;
    }
    reserve(static_cast<std::size_t>(st.st_size) + 1);
    m_size = 0;
    for (;;) {
      if (m_size == m_capacity) {
        reserve(m_capacity * 2);  // it grew since fstat, or fstat said 0 (/proc)
      }
      const ssize_t n = ::read(fd, m_data.get() + m_size, m_capacity - m_size);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        ::close(fd);
        return false;
      }
      if (n == 0) {
        break;
      }
      m_size += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return true;
  }
  std::string_view text() const { return {m_data.get(), m_size}; }

 private:
  void reserve(std::size_t capacity) {
    if (capacity <= m_capacity) {
      return;
    }
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    std::copy_n(m_data.get(), m_size, bigger.get());
    m_data = std::move(bigger);
    m_capacity = capacity;
  }
  std::unique_ptr<char[]> m_data;
  std::size_t m_capacity = 0;
  std::size_t m_size = 0;
};

// Whole-word occurrences of the names in one file, from the matcher's
// offsets; lines are counted only up to the occurrences (most files hold
// none or a few).
void scan_file(const fs::path& path, FileBuffer& buffer, const Matcher& matcher,
               hs_scratch_t* scratch,
               const std::vector<std::string>& patterns,
               const std::multimap<std::string, const Removed*>& by_name,
               const std::set<std::string>& existing, std::vector<Reference>& found) {
  if (!buffer.read(path)) {
    return;
  }
  const std::string_view text = buffer.text();
  if (text.substr(0, 8192).find('\0') != std::string_view::npos) {
    return;  // binary
  }
  std::vector<std::pair<std::size_t, int>> occurrences;  // (offset, name), whole words
  for (const auto& [at, hit] : matcher.occurrences(text, scratch)) {
    const std::size_t size = patterns[static_cast<std::size_t>(hit)].size();
    if ((at == 0 || !word_char(text[at - 1])) &&
        (at + size == text.size() || !word_char(text[at + size]))) {
      occurrences.emplace_back(at, hit);
    }
  }
  std::sort(occurrences.begin(), occurrences.end());
  int line_number = 1;
  std::size_t line_start = 0;
  std::size_t counted_to = 0;  // newlines before this offset are counted
  for (const auto& [at, hit] : occurrences) {
    for (std::size_t nl = text.find('\n', counted_to); nl != std::string_view::npos && nl < at;
         nl = text.find('\n', nl + 1)) {
      ++line_number;
      line_start = nl + 1;
    }
    counted_to = at;
    const std::size_t line_end = std::min(text.find('\n', at), text.size());
    if (text.substr(line_start, line_end - line_start).find("runner: ignore") !=
        std::string_view::npos) {
      continue;
    }
    const std::string& name = patterns[static_cast<std::size_t>(hit)];
    const bool other_case = text.substr(at, name.size()) != name;
    const auto range = by_name.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) {
      found.push_back({path.string(), line_number, static_cast<int>(at - line_start) + 1,
                       it->second, other_case || existing.count(name) > 0, other_case});
    }
  }
}

}  // namespace

Replay replay(const project::Project& project, const exec::HistoryTables& tables,
              scratch::Database& scratch,
              const std::function<void(std::string_view)>& progress) {
  Replay out;
  drivers::Connection& connection = scratch.connection();
  exec::ensure_tables(connection, tables);
  // A table a revision makes under the name of the runner's log or lock
  // table is the application's: asked again after each revision.
  const auto schema = [&] { return connection.read_schema(exec::own_tables(connection, tables)); };
  auto before = names_of(schema());
  for (const auto& revision : project.revisions()) {
    exec::signals::check();
    exec::Executor executor(connection, tables, {});
    const std::string label = revision.id().text() + " " + revision.name();
    if (const auto failure = exec::run_on_scratch(executor, {{&revision, plan::Direction::up}})) {
      out.stopped = fmt::format(
          "revision {} fails on the scratch database, so the names the "
          "revisions after it remove are not known: {}",
          label, *failure);
      break;
    }
    auto after = names_of(schema());
    for (const auto& [what, name] : before) {
      if (after.count(what) > 0) {
        continue;
      }
      // A dropped table's columns go with it: the table is what code names.
      const auto dot = what.find('.');
      if (what.rfind("column ", 0) == 0 && dot != std::string::npos &&
          after.count("table " + what.substr(7, dot - 7)) == 0) {
        continue;
      }
      out.removed.push_back({name, what, label});
    }
    if (progress) {
      progress(fmt::format("refs: replayed {}", label));
    }
    before = std::move(after);
  }
  // What exists again at the newest revision is not stale.
  std::vector<Removed> kept;
  for (auto& removed : out.removed) {
    if (before.count(removed.what) == 0) {
      kept.push_back(std::move(removed));
    }
  }
  out.removed = std::move(kept);
  for (const auto& [what, name] : before) {
    out.existing.insert(name);
  }
  return out;
}

std::vector<fs::path> files_under(const fs::path& given, const std::vector<fs::path>& skip) {
  const fs::path root = given.empty() ? fs::path(".") : given;
  std::vector<fs::path> files;
  const auto skipped = [&](const fs::path& relative) {
    for (const auto& folder : skip) {
      const auto [end, _] = std::mismatch(folder.begin(), folder.end(), relative.begin(), relative.end());
      if (end == folder.end()) {
        return true;
      }
    }
    return false;
  };
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    return {root};
  }
  // In a git work tree: the tracked and untracked files .gitignore keeps.
  const std::string command =
      fmt::format("git -C '{}' ls-files -co --exclude-standard -z 2>/dev/null",
                  root.string());  // root comes from the command line or the project folder
  if (root.string().find('\'') == std::string::npos) {
    if (FILE* pipe = popen(command.c_str(), "r")) {
      std::string listed;
      char chunk[65536];
      std::size_t n = 0;
      while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0) {
        listed.append(chunk, n);
      }
      if (pclose(pipe) == 0) {
        std::size_t start = 0;
        while (start < listed.size()) {
          const std::size_t end = listed.find('\0', start);
          const fs::path relative = listed.substr(start, end - start);
          if (!skipped(relative) && fs::is_regular_file(root / relative, ec)) {
            files.push_back(root / relative);
          }
          start = end == std::string::npos ? listed.size() : end + 1;
        }
        return files;
      }
    }
  }
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path relative = fs::relative(it->path(), root, ec);
    if (it->is_directory(ec) && (skipped(relative) || relative.filename() == ".git")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Reference> scan(const std::vector<fs::path>& files,
                            const std::vector<Removed>& removed,
                            const std::set<std::string>& existing) {
  if (removed.empty() || files.empty()) {
    return {};
  }
  std::multimap<std::string, const Removed*> by_name;
  std::vector<std::string> patterns;
  for (const auto& entry : removed) {
    if (entry.name.empty()) {
      continue;
    }
    if (by_name.count(entry.name) == 0) {
      patterns.push_back(entry.name);
    }
    by_name.emplace(entry.name, &entry);
  }
  if (patterns.empty()) {
    return {};
  }
  const Matcher matcher(patterns);
  std::vector<std::vector<Reference>> per_file(files.size());
  std::atomic<std::size_t> next{0};
  const unsigned workers = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  // Each thread scans with a scratch space of its own, made before any
  // starts (a failure then is an error, not a thread's).
  std::vector<std::unique_ptr<hs_scratch_t, decltype(&hs_free_scratch)>> scratches;
  for (unsigned w = 0; w < workers; ++w) {
    scratches.emplace_back(matcher.clone_scratch(), &hs_free_scratch);
  }
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, scratch = scratches[w].get()] {
      FileBuffer buffer;
      for (std::size_t i = next++; i < files.size(); i = next++) {
        scan_file(files[i], buffer, matcher, scratch, patterns, by_name, existing, per_file[i]);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::vector<Reference> all;
  for (auto& found : per_file) {
    std::stable_sort(found.begin(), found.end(), [](const Reference& a, const Reference& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

}  // namespace runner::refs
