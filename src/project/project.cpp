#include "project/project.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <new>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fmt/core.h>

#include "project/cache.hpp"
#include "project/config.hpp"
#include "util/links.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"

namespace runner::project {
namespace {

namespace fs = std::filesystem;

struct FoundFiles {
  std::string plain;
  std::map<std::string, std::string, std::less<>> variants;  // dialect -> path
};

// The files found for each manifest entry (keyed by the entry itself: no
// string compared for each of a thousand files).
using FoundByEntry = std::unordered_map<const Entry*, FoundFiles>;

Diagnostic file_error(const fs::path& path, std::string message) {
  return Diagnostic{path.string(), 0, 0, Severity::error, std::move(message), {}};
}

// A name that ends in ".sql" once its case is ignored and trailing spaces
// and dots are dropped (what Windows and case-blind file systems do), but
// not in ".sql" itself: "0003_x.SQL", "0003_x.sql ", "0003_x.sql.".
bool looks_like_sql(std::string_view name) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '.')) {
    name.remove_suffix(1);
  }
  if (name.size() <= 4) {
    return false;
  }
  const std::string tail = util::to_lower(name.substr(name.size() - 4));
  return tail == ".sql";
}

// Lists the .sql files of one direction folder by their manifest entry.
FoundByEntry list_files(const fs::path& dir, const Manifest& manifest,
                        std::vector<Diagnostic>& diagnostics) {
  FoundByEntry found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return found;
  }
  // Names, not paths: a std::filesystem::path per file (made, compared in
  // the sort, copied) was most of the scan of a thousand revisions.
  auto listed = folder_entries(dir.string());
  std::sort(listed.begin(), listed.end(),
            [](const FolderEntry& a, const FolderEntry& b) { return a.name < b.name; });
  std::erase_if(listed, [&](const FolderEntry& item) {
    // What path::extension() calls ".sql": not a name that is only ".sql"
    const bool sql = item.name.size() > 4 && item.name.ends_with(".sql");
    if (!sql && looks_like_sql(item.name)) {
      diagnostics.push_back(file_error(
          dir / item.name,
          fmt::format("the name '{}' ends like '.sql' but is not '.sql' (another letter case, or "
                      "a space or dot after it), so the runner would not read it, where a "
                      "case-blind file system or an editor would: rename it to end in '.sql', "
                      "or remove it",
                      util::visible(item.name, false))));
    }
    return !sql;
  });
  const std::string folder = dir.string() + "/";
  std::unordered_map<std::string_view, const Entry*> entries;  // canonical id -> entry
  entries.reserve(manifest.revisions.size());
  found.reserve(manifest.revisions.size());
  for (const Entry& entry : manifest.revisions) {
    entries.emplace(entry.id.canonical(), &entry);
  }
  for (const auto& item : listed) {
    const std::string path = folder + item.name;
    FileName parsed;
    if (!parse_file_name(item.name, parsed)) {
      diagnostics.push_back(file_error(
          path, "file name must look like <id>_<name>.sql or <id>_<name>.<dialect>.sql "
                "(dialect: sqlite, postgres, mysql)"));
      continue;
    }
    const auto match = entries.find(parsed.id.canonical());
    const Entry* entry = match == entries.end() ? nullptr : match->second;
    if (entry == nullptr) {
      diagnostics.push_back(file_error(
          path, fmt::format("no entry for revision '{}' in {}", parsed.id.text(),
                            manifest.path.string())));
      continue;
    }
    if (entry->name != parsed.name) {
      diagnostics.push_back(file_error(
          path, fmt::format("name '{}' does not match the manifest's name '{}' for revision '{}'",
                            parsed.name, entry->name, entry->id.text())));
      continue;
    }
    FoundFiles& files = found[entry];
    std::string& slot = parsed.dialect.empty() ? files.plain : files.variants[parsed.dialect];
    if (!slot.empty()) {
      diagnostics.push_back(file_error(
          path, fmt::format("a second file for revision '{}' (the first is {})",
                            parsed.id.text(), slot)));
      continue;
    }
    slot = path;
    if (!item.regular) {
      // A FIFO would block the first read forever, a directory cannot be read.
      const auto broken = util::broken_link(path);
      diagnostics.push_back(file_error(
          path, broken ? *broken : "not a regular file; a migration must be a plain file"));
    }
  }
  return found;
}

std::string pick(const FoundByEntry& found, const Entry& entry, std::string_view dialect) {
  const auto it = found.find(&entry);
  if (it == found.end()) {
    return {};
  }
  if (const auto variant = it->second.variants.find(dialect);
      variant != it->second.variants.end()) {
    return variant->second;
  }
  return it->second.plain;
}

}  // namespace

bool parse_file_name(std::string_view file_name, FileName& out) {
  if (file_name.size() <= 4 || file_name.substr(file_name.size() - 4) != ".sql") {
    return false;
  }
  file_name.remove_suffix(4);
  const std::size_t underscore = file_name.find('_');
  if (underscore == std::string_view::npos) {
    return false;
  }
  const auto id = RevisionId::parse(file_name.substr(0, underscore));
  if (!id) {
    return false;
  }
  std::string_view rest = file_name.substr(underscore + 1);
  out.dialect.clear();
  if (const std::size_t dot = rest.find('.'); dot != std::string_view::npos) {
    out.dialect = std::string(rest.substr(dot + 1));
    rest = rest.substr(0, dot);
    if (std::find(std::begin(k_dialect_names), std::end(k_dialect_names), out.dialect) ==
        std::end(k_dialect_names)) {
      return false;
    }
  }
  if (rest.empty()) {
    return false;
  }
  out.id = *id;
  out.name = std::string(rest);
  return true;
}

Project Project::scan(const fs::path& manifest_path, std::string_view dialect,
                      std::vector<Diagnostic>& diagnostics,
                      const util::FileLock::Waiting& waiting) {
  // Not taken again when load() holds it (FileLock nests).
  const util::FileLock lock(manifest_path, util::FileLock::Mode::shared, waiting);
  Project project;
  project.m_root = manifest_path.parent_path();
  {
    std::error_code ec;
    if (!fs::is_regular_file(manifest_path, ec)) {
      diagnostics.push_back(manifest_not_found(manifest_path));
      return project;
    }
    try {
      project.m_manifest =
          parse_manifest(util::read_text_file(manifest_path, &project.m_manifest_bytes),
                         manifest_path.string(), diagnostics);
    } catch (const std::bad_alloc&) {  // reading the file (parse_manifest says its own)
      project.m_manifest_bytes = std::string();
      diagnostics.push_back(
          manifest_out_of_memory(manifest_path.string(), fs::file_size(manifest_path, ec)));
      return project;
    }
    project.m_manifest.path = manifest_path;
  }
  if (has_errors(diagnostics)) {
    return project;  // files matched against a broken manifest would only add noise
  }
  const Manifest& manifest = project.m_manifest;
  const fs::path up_dir = project.m_root / "migrations" / "up";
  const fs::path down_dir = project.m_root / "migrations" / "down";
  const auto ups = list_files(up_dir, manifest, diagnostics);
  const auto downs = list_files(down_dir, manifest, diagnostics);
  for (const Entry& entry : manifest.revisions) {
    Revision revision;
    revision.entry = entry;
    revision.noop = !entry.runs_on(dialect);
    // The file a missing one is expected at, only when one is missing.
    const auto expected = [&](const fs::path& dir) {
      return (dir / fmt::format("{}_{}.sql", entry.id.text(), entry.name)).string();
    };
    if (!revision.noop) {
      revision.up = pick(ups, entry, dialect);
      if (revision.up.empty()) {
        diagnostics.push_back(Diagnostic{manifest.path.string(),
                                         entry.line,
                                         0,
                                         Severity::error,
                                         fmt::format("revision '{}' has no up file (expected {})",
                                                     entry.id.text(), expected(up_dir)),
                                         {}});
      }
      if (!entry.irreversible) {
        revision.down = pick(downs, entry, dialect);
        if (revision.down.empty()) {
          diagnostics.push_back(
              Diagnostic{manifest.path.string(),
                         entry.line,
                         0,
                         Severity::error,
                         fmt::format("revision '{}' has no down file (expected {}, or mark it "
                                     "'irreversible: true')",
                                     entry.id.text(), expected(down_dir)),
                         {}});
        }
      }
    }
    project.m_revisions.push_back(std::move(revision));
  }
  project.index();
  return project;
}

std::vector<LexedAs> every_file_by_dialect(const Project& project, std::string_view dialect) {
  std::vector<LexedAs> out;
  std::set<std::string> seen;
  for (const auto& revision : project.revisions()) {
    if (!revision.noop) {
      out.push_back({revision, std::string(dialect)});
      seen.insert(revision.up);
      seen.insert(revision.down);
    }
  }
  for (const std::string_view other : k_dialect_names) {
    if (other == dialect) {
      continue;
    }
    std::vector<Diagnostic> ignored;
    const Project as_other = Project::scan(project.manifest().path, other, ignored);
    for (const auto& revision : as_other.revisions()) {
      const Revision* here = project.find(revision.id());
      if (revision.noop || here == nullptr) {
        continue;
      }
      // A plain file is the other dialect's only when the revision does not
      // run here and that dialect is the first it names.
      const bool plain_is_ours = here->noop && !revision.entry.dialects.empty() &&
                                 revision.entry.dialects.front() == other;
      const auto ours = [&](const std::string& path) {
        FileName name;
        return !path.empty() && seen.count(path) == 0 &&
               parse_file_name(fs::path(path).filename().string(), name) &&
               (name.dialect == other || (name.dialect.empty() && plain_is_ours));
      };
      Revision files = revision;
      files.up = ours(revision.up) ? revision.up : std::string();
      files.down = ours(revision.down) ? revision.down : std::string();
      if (!files.up.empty() || !files.down.empty()) {
        seen.insert(files.up);
        seen.insert(files.down);
        out.push_back({std::move(files), std::string(other)});
      }
    }
  }
  return out;
}

namespace {

// Whether the runner.toml at `file` names the manifest (`manifest = ...`,
// at the top or in an [env.NAME] table). Throws InputError, naming
// `display`, when it does not parse.
bool names_manifest(const fs::path& file, const fs::path& display) {
  const Config config = parse_config(util::read_text_file(file), display.string());
  return config.top.manifest ||
         std::any_of(config.envs.begin(), config.envs.end(),
                     [](const auto& env) { return env.second.manifest.has_value(); });
}

}  // namespace

std::optional<fs::path> find_project_folder(const fs::path& start, bool or_config) {
  std::error_code ec;
  // Physical, as the kernel resolves "..": symlinks are followed.
  fs::path here = fs::canonical(start, ec);
  if (ec) {
    return std::nullopt;
  }
  fs::path up;  // from `start` to `here`: "", "..", "../..", ...
  // A runner.toml alone (settings left in a subfolder) claims its folder
  // only when it names the manifest, or when no folder up to the root
  // holds one: else `new` run there would start a second project.
  std::optional<fs::path> config_alone;
  for (;;) {
    // A symbolic link that leads nowhere, a folder or a FIFO is not passed
    // over for a project above: the error names it.
    if (util::anything_at(here / "manifest.yaml")) {
      return up;
    }
    if (or_config && util::anything_at(here / "runner.toml")) {
      if (names_manifest(here / "runner.toml", (start / up / "runner.toml").lexically_normal())) {
        return up;
      }
      if (!config_alone) {
        config_alone = up;
      }
    }
    if (here == here.root_path() || !here.has_parent_path() || here.parent_path() == here) {
      return config_alone;
    }
    here = here.parent_path();
    up = up.empty() ? fs::path("..") : up / "..";
  }
}

namespace {

// Raised whenever what the manifest is checked for changes: a project cached
// by a runner with fewer checks must be read again (2: empty or repeated
// `dialects`).
constexpr std::string_view k_project_header = "runner-project 2";

// What the cached project depends on besides the manifest's bytes (which
// the cache holds and compares): the dialect and the two folders' entries
// (their mtimes change when a file is added, removed or renamed; a file's
// content does not matter to the match).
std::string project_key(const fs::path& manifest_path, std::string_view dialect,
                        std::int64_t& newest_change) {
  const fs::path root = manifest_path.parent_path();
  std::string key(dialect);
  for (const char* dir : {"up", "down"}) {
    const auto stamp = stamp_of(root / "migrations" / dir);
    key += stamp ? fmt::format(" {}:{}:{}:{}", stamp->device, stamp->inode, stamp->mtime_ns,
                               stamp->ctime_ns)
                 : std::string(" -");
    if (stamp) {
      newest_change = std::max({newest_change, stamp->mtime_ns, stamp->ctime_ns});
    }
  }
  return key;
}

}  // namespace

Project Project::load(const fs::path& manifest_path, std::string_view dialect,
                      const util::FileLock::Waiting& waiting) {
  // Held until the project is made: the manifest and the folders' listing
  // are those of one moment, never of a change half made. Read through the
  // descriptor locked, the lock costs the no-op run one flock and one stat.
  const util::FileLock lock(manifest_path, util::FileLock::Mode::shared, waiting);
  std::optional<fs::path> cache;
  std::string key;
  struct stat manifest {};
  if (lock.fd() >= 0 && fstat(lock.fd(), &manifest) == 0 && S_ISREG(manifest.st_mode)) {
    if (const auto dir = cache_dir(manifest_path.parent_path())) {
      cache = *dir / fmt::format("project.{}", dialect);
      std::int64_t newest = 0;
      key = project_key(manifest_path, dialect, newest);
      if (auto cached = from_cache(*cache, manifest_path, {lock.fd(), manifest.st_size}, key)) {
        return std::move(*cached);
      }
      if (!settled(newest, now_ns())) {
        cache.reset();  // a folder changed just now: do not remember it yet
      }
    }
  }
  std::vector<Diagnostic> diagnostics;
  Project project = scan(manifest_path, dialect, diagnostics, waiting);
  if (has_errors(diagnostics)) {
    throw ProjectError(std::move(diagnostics));
  }
  if (cache && diagnostics.empty()) {
    project.to_cache(*cache, key);
  }
  return project;
}

// One revision a line: id, name, kind, transaction, irreversible, dialects,
// description, manifest line, noop, up file, down file (names only: the
// folders are the project's), tab-separated and escaped.
void Project::to_cache(const fs::path& file, const std::string& key) const {
  try {
    // The bytes scanned, not the file read again: it may have changed since.
    const std::string& manifest = m_manifest_bytes;
    std::string text =
        fmt::format("{}\n{}\n{}\n", k_project_header, escape(key), manifest.size()) + manifest +
        "\n";
    for (const Revision& r : m_revisions) {
      const Entry& e = r.entry;
      std::string dialects;
      for (const auto& d : e.dialects) {
        dialects += (dialects.empty() ? "" : ",") + d;
      }
      fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                     escape(e.id.text()), escape(e.name), to_string(e.kind), e.transaction ? 1 : 0,
                     e.irreversible ? 1 : 0, escape(dialects), escape(e.description), e.line,
                     r.noop ? 1 : 0, escape(file_name_of(r.up)), escape(file_name_of(r.down)));
    }
    write_atomically(file, text);
  } catch (...) {
    // A cache that cannot be written is no cache.
  }
}

std::optional<Project> Project::from_cache(const fs::path& file, const fs::path& manifest_path,
                                           std::pair<int, std::int64_t> manifest_file,
                                           const std::string& key) {
  const std::string text = read_bytes(file);
  std::string_view rest = text;
  if (next_line(rest) != k_project_header || unescape(next_line(rest)) != key) {
    return std::nullopt;
  }
  const std::string_view size = next_line(rest);
  if (!util::all_digits(size) || size.empty() || size.size() > 12) {
    return std::nullopt;
  }
  // The manifest as it was scanned, byte for byte.
  std::string manifest = read_bytes(manifest_file.first, manifest_file.second);
  if (std::stoull(std::string(size)) != manifest.size() || rest.size() <= manifest.size() ||
      rest.substr(0, manifest.size()) != manifest || rest[manifest.size()] != '\n') {
    return std::nullopt;
  }
  rest.remove_prefix(manifest.size() + 1);
  Project project;
  project.m_root = manifest_path.parent_path();
  project.m_manifest.path = manifest_path;
  project.m_manifest_bytes = std::move(manifest);
  const std::string up_dir = (project.m_root / "migrations" / "up").string() + "/";
  const std::string down_dir = (project.m_root / "migrations" / "down").string() + "/";
  const std::size_t lines = static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '\n'));
  project.m_manifest.revisions.reserve(lines);
  project.m_revisions.reserve(lines);
  while (!rest.empty()) {
    const auto fields = fields_of(next_line(rest));
    if (fields.size() != 11) {
      return std::nullopt;
    }
    auto id = RevisionId::parse(unescape(fields[0]));
    if (!id) {
      return std::nullopt;
    }
    Revision revision;
    Entry& e = revision.entry;
    e.id = std::move(*id);
    e.name = unescape(fields[1]);
    e.kind = fields[2] == "data" ? Kind::data : fields[2] == "mixed" ? Kind::mixed : Kind::schema;
    e.transaction = fields[3] == "1";
    e.irreversible = fields[4] == "1";
    if (!fields[5].empty()) {
      e.dialects = util::split(unescape(fields[5]), ',');
    }
    e.description = unescape(fields[6]);
    e.line = util::all_digits(fields[7]) && !fields[7].empty() && fields[7].size() < 9
                 ? std::stoi(std::string(fields[7]))
                 : 0;
    revision.noop = fields[8] == "1";
    if (!fields[9].empty()) {
      revision.up = up_dir + unescape(fields[9]);
    }
    if (!fields[10].empty()) {
      revision.down = down_dir + unescape(fields[10]);
    }
    project.m_manifest.revisions.push_back(e);
    project.m_revisions.push_back(std::move(revision));
  }
  project.index();
  return project;
}

void Project::index() {
  m_by_id.clear();
  m_by_id.reserve(m_revisions.size());
  for (std::size_t i = 0; i < m_revisions.size(); ++i) {
    m_by_id.emplace(m_revisions[i].id().canonical(), i);
  }
}

const Revision* Project::find(const RevisionId& id) const {
  const auto it = m_by_id.find(id.canonical());
  return it == m_by_id.end() ? nullptr : &m_revisions[it->second];
}

bool Project::manifest_changed() const {
  // The bytes, not the mtime: a rewrite within the timestamp's granularity,
  // or one that set the time back, would not show in it.
  return read_bytes(m_manifest.path) != m_manifest_bytes;
}

}  // namespace runner::project
