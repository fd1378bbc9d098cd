#include "split/split.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include <fmt/core.h>

#include "split/manifest_edit.hpp"
#include "util/errors.hpp"
#include "util/text_reader.hpp"

namespace runner::split {
namespace {

namespace fs = std::filesystem;

// A file of the revision: the plain one (no dialect) or a variant.
struct SqlFile {
  fs::path path;
  std::string variant;  // "postgres", ... or empty
};

std::vector<SqlFile> files_of(const fs::path& dir, const project::Entry& entry) {
  std::vector<SqlFile> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return found;
  }
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    project::FileName parsed;
    if (project::parse_file_name(item.path().filename().string(), parsed) &&
        parsed.id == entry.id && parsed.name == entry.name) {
      found.push_back(SqlFile{item.path(), parsed.dialect});
    }
  }
  std::sort(found.begin(), found.end(),
            [](const SqlFile& a, const SqlFile& b) { return a.path < b.path; });
  return found;
}

// The dialect to lex a file for: a variant's own; for the plain file, the
// current dialect unless a variant replaces it there, else one the plain
// file does serve.
std::string lexing_dialect(const SqlFile& file, const std::vector<SqlFile>& all,
                           std::string_view current, const project::Entry& entry) {
  if (!file.variant.empty()) {
    return file.variant;
  }
  const auto has_variant = [&](std::string_view dialect) {
    return std::any_of(all.begin(), all.end(),
                       [&](const SqlFile& f) { return f.variant == dialect; });
  };
  if (!has_variant(current)) {
    return std::string(current);
  }
  for (const auto dialect : project::k_dialect_names) {
    if (!has_variant(dialect) && entry.runs_on(dialect)) {
      return std::string(dialect);
    }
  }
  return std::string(current);
}

// `<id>_<name>[.<variant>].sql` in `dir`.
fs::path file_name(const fs::path& dir, const std::string& id, const std::string& name,
                   const std::string& variant) {
  return dir / (variant.empty() ? fmt::format("{}_{}.sql", id, name)
                                : fmt::format("{}_{}.{}.sql", id, name, variant));
}

std::string kinds_text(const std::vector<Part>& parts) {
  std::string text;
  for (const auto& part : parts) {
    text += fmt::format("{}{}", text.empty() ? "" : ", ", to_string(part.kind));
  }
  return text;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    throw InputError(fmt::format("{}: cannot read", path.string()));
  }
  return bytes;
}

// Names the parts: the original name, then <name>_data, <name>_schema,
// <name>_data_2 ...
std::vector<std::string> part_names(const std::string& name, const std::vector<PartKind>& kinds) {
  std::vector<std::string> names{name};
  std::map<PartKind, int> seen;
  for (std::size_t k = 1; k < kinds.size(); ++k) {
    const int n = ++seen[kinds[k]];
    names.push_back(fmt::format("{}_{}{}", name, to_string(kinds[k]),
                                n == 1 ? std::string() : fmt::format("_{}", n)));
  }
  return names;
}

}  // namespace

Plan plan(const project::Project& project, const project::Revision& revision,
          std::string_view dialect) {
  const project::Entry& entry = revision.entry;
  const std::string& id = entry.id.text();
  const fs::path up_dir = project.root() / "migrations" / "up";
  const fs::path down_dir = project.root() / "migrations" / "down";
  const auto ups = files_of(up_dir, entry);
  const auto downs = entry.irreversible ? std::vector<SqlFile>{} : files_of(down_dir, entry);
  if (ups.empty()) {
    throw InputError(
        fmt::format("split {}: the revision has no up file in {}", id, up_dir.string()));
  }

  // Every up file (each dialect variant) must divide alike: the parts are
  // revisions of the manifest, shared by every dialect.
  std::vector<std::vector<Part>> up_parts;
  for (const auto& file : ups) {
    up_parts.push_back(divide(file.path, lexing_dialect(file, ups, dialect, entry)));
    if (kinds_text(up_parts.back()) != kinds_text(up_parts.front())) {
      throw InputError(fmt::format(
          "split {}: its up files divide differently ({}: {}; {}: {}), so they cannot become the "
          "same revisions; split the revision by hand",
          id, ups.front().path.string(), kinds_text(up_parts.front()), file.path.string(),
          kinds_text(up_parts.back())));
    }
  }
  std::vector<PartKind> kinds;
  for (const auto& part : up_parts.front()) {
    kinds.push_back(part.kind);
  }
  if (kinds.empty()) {
    throw InputError(fmt::format("split {}: {} holds no schema or data statement; nothing to split",
                                 id, ups.front().path.string()));
  }
  const std::size_t n = kinds.size();
  std::vector<std::string> ids{id};
  for (std::size_t k = 1; k < n; ++k) {
    ids.push_back(fmt::format("{}.{}", id, k));
  }
  const std::vector<std::string> names = part_names(entry.name, kinds);

  // The new ids must fall between this revision and the next one.
  const auto last = *project::RevisionId::parse(ids.back());
  for (const auto& other : project.revisions()) {
    if (other.id() > entry.id && !(other.id() > last)) {
      throw InputError(fmt::format(
          "split {}: its parts need the ids {} to {}, but revision {} {} lies in that range; "
          "renumber it first (runner renumber) or split by hand",
          id, ids[1], ids.back(), other.id().text(), other.name()));
    }
  }

  Plan out;
  for (std::size_t k = 0; k < n; ++k) {
    out.revisions.push_back(PartRevision{ids[k], names[k], kinds[k], {}});
  }
  const auto header = [&](std::size_t k, const char* direction) {
    return fmt::format("-- {} {}: {} of revision {}, part {} of {} ({}), made by runner split\n",
                       ids[k], names[k], direction, id, k + 1, n, to_string(kinds[k]));
  };
  std::vector<FileWrite> created;
  std::vector<FileWrite> rewritten;
  if (n > 1) {
    for (std::size_t u = 0; u < ups.size(); ++u) {
      for (std::size_t k = 0; k < n; ++k) {
        const fs::path path =
            k == 0 ? ups[u].path : file_name(up_dir, ids[k], names[k], ups[u].variant);
        (k == 0 ? rewritten : created)
            .push_back(
                FileWrite{path, (k == 0 ? "" : header(k, "up")) + up_parts[u][k].text, k > 0});
        out.revisions[k].files.push_back(path);
      }
    }
    std::vector<bool> noted(n, false);
    for (const auto& file : downs) {
      const auto parts = divide(file.path, lexing_dialect(file, downs, dialect, entry));
      // A down file of neutral statements only stays with the first part.
      const auto assigned =
          parts.empty() ? std::vector<int>(n, -1) : assign_downs(kinds, parts, file.path, ids);
      for (std::size_t k = 0; k < n; ++k) {
        const fs::path path =
            k == 0 ? file.path : file_name(down_dir, ids[k], names[k], file.variant);
        std::string text;
        if (assigned[k] >= 0) {
          text =
              (k == 0 ? "" : header(k, "down")) + parts[static_cast<std::size_t>(assigned[k])].text;
        } else if (k == 0 && parts.empty()) {
          continue;  // the file stays as it is
        } else {
          text = fmt::format(
              "-- {} {}: down of revision {}, part {} of {} ({}), made by runner "
              "split: none of the down file's statements undo this part\n",
              ids[k], names[k], id, k + 1, n, to_string(kinds[k]));
          if (kinds[k] == PartKind::schema && !parts.empty() && !noted[k]) {
            noted[k] = true;
            out.notes.push_back(fmt::format(
                "{} {} gets an empty down file: the down file's schema statements all went to "
                "parts that are reverted after it, so reverting {} alone leaves its change in "
                "place until they are",
                ids[k], names[k], ids[k]));
          }
        }
        (k == 0 ? rewritten : created).push_back(FileWrite{path, std::move(text), k > 0});
        out.revisions[k].files.push_back(path);
      }
    }
  }

  // The manifest, edited as text; only a change of kind when there is
  // nothing to split.
  const project::Kind first_kind =
      kinds[0] == PartKind::schema ? project::Kind::schema : project::Kind::data;
  if (n > 1 || entry.kind != first_kind) {
    const auto& entries = project.manifest().revisions;
    const auto at = std::find_if(entries.begin(), entries.end(),
                                 [&](const project::Entry& e) { return e.id == entry.id; });
    std::vector<NewEntry> added;
    for (std::size_t k = 1; k < n; ++k) {
      added.push_back(NewEntry{ids[k], names[k], std::string(to_string(kinds[k]))});
    }
    const fs::path& manifest = project.manifest().path;
    rewritten.push_back(FileWrite{
        manifest,
        edit_manifest(read_bytes(manifest), manifest.string(),
                      static_cast<std::size_t>(at - entries.begin()), to_string(kinds[0]), added),
        false});
  }
  out.writes = std::move(created);
  std::move(rewritten.begin(), rewritten.end(), std::back_inserter(out.writes));
  return out;
}

void write(const Plan& plan, const std::function<void()>& interruption_point) {
  std::error_code ec;
  for (const auto& file : plan.writes) {
    if (file.create && fs::exists(file.path, ec)) {
      throw InputError(
          fmt::format("split: {} already exists; nothing was changed", file.path.string()));
    }
  }
  // Temporaries first: a failure or a signal here leaves every file as it
  // was, the temporaries removed on the way out.
  std::vector<fs::path> temporaries;
  std::size_t moved = 0;
  struct Discard {
    std::vector<fs::path>& paths;
    std::size_t& from;
    ~Discard() {
      std::error_code ignored;
      for (std::size_t i = from; i < paths.size(); ++i) {
        fs::remove(paths[i], ignored);
      }
    }
  } discard{temporaries, moved};
  for (const auto& file : plan.writes) {
    if (interruption_point) {
      interruption_point();
    }
    temporaries.push_back(util::temporary_beside(file.path));
    std::ofstream out(temporaries.back(), std::ios::binary | std::ios::trunc);
    out << file.text;
    out.close();
    if (!out) {
      throw InputError(
          fmt::format("split: cannot write {}; nothing was changed", temporaries.back().string()));
    }
  }
  if (interruption_point) {
    interruption_point();
  }
  for (; moved < plan.writes.size(); ++moved) {
    fs::rename(temporaries[moved], plan.writes[moved].path, ec);
    if (ec) {
      std::string done;
      for (std::size_t j = 0; j < moved; ++j) {
        done += (j == 0 ? "" : ", ") + plan.writes[j].path.string();
      }
      throw InputError(fmt::format("split: cannot move {} into place ({}); written before it: {}",
                                   plan.writes[moved].path.string(), ec.message(),
                                   done.empty() ? "nothing" : done));
    }
  }
}

}  // namespace runner::split
