#include "project/project.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "util/text_reader.hpp"

namespace runner::project {
namespace {

namespace fs = std::filesystem;

struct FoundFiles {
  fs::path plain;
  std::map<std::string, fs::path> variants;  // dialect -> path
  std::string name;
};

Diagnostic file_error(const fs::path& path, std::string message) {
  return Diagnostic{path.string(), 0, 0, Severity::error, std::move(message), {}};
}

// Lists the .sql files of one direction folder by canonical id.
std::map<std::string, FoundFiles> list_files(const fs::path& dir, const Manifest& manifest,
                                             std::vector<Diagnostic>& diagnostics) {
  std::map<std::string, FoundFiles> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return found;
  }
  std::vector<fs::path> paths;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    if (item.path().extension() == ".sql") {
      paths.push_back(item.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::map<std::string, const Entry*> entries;  // canonical id -> entry
  for (const Entry& entry : manifest.revisions) {
    entries.emplace(entry.id.canonical(), &entry);
  }
  for (const auto& path : paths) {
    FileName parsed;
    if (!parse_file_name(path.filename().string(), parsed)) {
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
    FoundFiles& files = found[parsed.id.canonical()];
    fs::path& slot = parsed.dialect.empty() ? files.plain : files.variants[parsed.dialect];
    if (!slot.empty()) {
      diagnostics.push_back(file_error(
          path, fmt::format("a second file for revision '{}' (the first is {})",
                            parsed.id.text(), slot.string())));
      continue;
    }
    slot = path;
    if (std::error_code kind_ec; !fs::is_regular_file(path, kind_ec)) {
      // A FIFO would block the first read forever, a directory cannot be read.
      diagnostics.push_back(file_error(path, "not a regular file; a migration must be a plain file"));
    }
  }
  return found;
}

fs::path pick(const std::map<std::string, FoundFiles>& found, const Entry& entry,
              std::string_view dialect) {
  const auto it = found.find(entry.id.canonical());
  if (it == found.end()) {
    return {};
  }
  if (const auto variant = it->second.variants.find(std::string(dialect));
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
                      std::vector<Diagnostic>& diagnostics) {
  Project project;
  project.m_root = manifest_path.parent_path();
  {
    std::error_code ec;
    if (!fs::is_regular_file(manifest_path, ec)) {
      diagnostics.push_back(file_error(
          manifest_path, "manifest not found (run 'runner new NAME' to start one, or pass -m FILE)"));
      return project;
    }
    project.m_manifest = parse_manifest(util::read_text_file(manifest_path),
                                        manifest_path.string(), diagnostics);
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
    const std::string stem = fmt::format("{}_{}", entry.id.text(), entry.name);
    if (!revision.noop) {
      revision.up = pick(ups, entry, dialect);
      if (revision.up.empty()) {
        diagnostics.push_back(Diagnostic{
            manifest.path.string(), entry.line, 0, Severity::error,
            fmt::format("revision '{}' has no up file (expected {})", entry.id.text(),
                        (up_dir / (stem + ".sql")).string()),
            {}});
      }
      if (!entry.irreversible) {
        revision.down = pick(downs, entry, dialect);
        if (revision.down.empty()) {
          diagnostics.push_back(Diagnostic{
              manifest.path.string(), entry.line, 0, Severity::error,
              fmt::format("revision '{}' has no down file (expected {}, or mark it "
                          "'irreversible: true')",
                          entry.id.text(), (down_dir / (stem + ".sql")).string()),
              {}});
        }
      }
    }
    project.m_revisions.push_back(std::move(revision));
  }
  return project;
}

std::vector<LexedAs> every_file_by_dialect(const Project& project, std::string_view dialect) {
  std::vector<LexedAs> out;
  std::set<fs::path> seen;
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
      const auto ours = [&](const fs::path& path) {
        FileName name;
        return !path.empty() && seen.count(path) == 0 &&
               parse_file_name(path.filename().string(), name) &&
               (name.dialect == other || (name.dialect.empty() && plain_is_ours));
      };
      Revision files = revision;
      files.up = ours(revision.up) ? revision.up : fs::path();
      files.down = ours(revision.down) ? revision.down : fs::path();
      if (!files.up.empty() || !files.down.empty()) {
        seen.insert(files.up);
        seen.insert(files.down);
        out.push_back({std::move(files), std::string(other)});
      }
    }
  }
  return out;
}

std::optional<fs::path> find_project_folder(const fs::path& start, bool or_config) {
  std::error_code ec;
  // Physical, as the kernel resolves "..": symlinks are followed.
  fs::path here = fs::canonical(start, ec);
  if (ec) {
    return std::nullopt;
  }
  fs::path up;  // from `start` to `here`: "", "..", "../..", ...
  for (;;) {
    if (fs::is_regular_file(here / "manifest.yaml", ec) ||
        (or_config && fs::is_regular_file(here / "runner.toml", ec))) {
      return up;
    }
    if (here == here.root_path() || !here.has_parent_path() || here.parent_path() == here) {
      return std::nullopt;
    }
    here = here.parent_path();
    up = up.empty() ? fs::path("..") : up / "..";
  }
}

Project Project::load(const fs::path& manifest_path, std::string_view dialect) {
  std::vector<Diagnostic> diagnostics;
  Project project = scan(manifest_path, dialect, diagnostics);
  if (has_errors(diagnostics)) {
    throw ProjectError(std::move(diagnostics));
  }
  return project;
}

const Revision* Project::find(const RevisionId& id) const {
  for (const auto& revision : m_revisions) {
    if (revision.id() == id) {
      return &revision;
    }
  }
  return nullptr;
}

}  // namespace runner::project
