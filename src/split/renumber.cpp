#include "split/renumber.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/core.h>

#include "project/project.hpp"
#include "split/manifest_edit.hpp"
#include "split/manifest_text.hpp"
#include "util/errors.hpp"
#include "util/text_reader.hpp"

namespace runner::split {
namespace {

namespace fs = std::filesystem;

// The file's bytes as they are (BOM and CRLF kept: the edit keeps them).
std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("{}: cannot read", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One entry of the list as its text says.
struct Listed {
  std::size_t index = 0;
  std::string id;
  std::string name;
  int line = 0;
};

std::vector<Listed> listed(std::string_view text, const std::vector<EntryText>& items) {
  std::vector<Listed> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t at = items[i].flow ? items[i].map.begin : items[i].begin;
    Listed entry;
    entry.index = i;
    entry.id = items[i].id ? scalar_value(text, *items[i].id) : "";
    entry.name = items[i].name ? scalar_value(text, *items[i].name) : "";
    entry.line =
        static_cast<int>(1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
    out.push_back(std::move(entry));
  }
  return out;
}

bool has_id(const Listed& entry, const project::RevisionId& id) {
  const auto parsed = project::RevisionId::parse(entry.id);
  return parsed && *parsed == id;
}

}  // namespace

RenumberPlan plan_renumber(const fs::path& manifest_path, const project::RevisionId& from,
                           const project::RevisionId& to, const std::optional<std::string>& name) {
  const std::string display = manifest_path.string();
  if (from == to) {
    throw InputError(fmt::format("renumber {} {}: that is the same id", from.text(), to.text()));
  }
  std::error_code ec;
  if (!fs::is_regular_file(manifest_path, ec)) {
    throw InputError(fmt::format("{}: manifest not found", display));
  }
  const std::string text = read_bytes(manifest_path);
  const std::vector<Listed> entries = listed(text, find_entries(text, display, "renumber"));
  std::vector<const Listed*> matches;
  std::size_t with_id = 0;
  for (const auto& entry : entries) {
    with_id += has_id(entry, from) ? 1 : 0;
    if (has_id(entry, to)) {
      throw InputError(fmt::format(
          "renumber {} {}: the id {} is taken by revision {} {} ({}:{}); choose another",
          from.text(), to.text(), entry.id, entry.id, entry.name, display, entry.line));
    }
    if (has_id(entry, from) && (!name || entry.name == *name)) {
      matches.push_back(&entry);
    }
  }
  if (matches.empty()) {
    throw InputError(
        name ? fmt::format("renumber {}: no revision {} named {} in {}", from.text(), from.text(),
                           *name, display)
             : fmt::format("renumber {}: no such revision in {}", from.text(), display));
  }
  if (matches.size() > 1) {
    // Two branches that each ran `runner new`, merged: the same id twice.
    std::string which;
    for (const auto* entry : matches) {
      which += fmt::format("{}{} {} (line {})", which.empty() ? "" : ", ", entry->id, entry->name,
                           entry->line);
    }
    throw InputError(
        fmt::format("renumber {}: {} entries have that id: {}; say which to move with --name NAME",
                    from.text(), matches.size(), which));
  }
  const Listed& chosen = *matches.front();

  RenumberPlan plan;
  plan.from = chosen.id;
  plan.to = to.text();
  plan.name = chosen.name;
  plan.line = chosen.line;
  plan.shared = with_id > 1;
  plan.manifest = manifest_path;
  // Every file of the revision, up and down, plain and variants; a file of
  // any revision that has the new id already would clash.
  const fs::path root = manifest_path.parent_path();
  for (const char* direction : {"up", "down"}) {
    const fs::path dir = root / "migrations" / direction;
    if (!fs::is_directory(dir, ec)) {
      continue;
    }
    std::vector<fs::path> paths;
    for (const auto& item : fs::directory_iterator(dir, ec)) {
      paths.push_back(item.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
      project::FileName file;
      if (!project::parse_file_name(path.filename().string(), file)) {
        continue;
      }
      if (file.id == to) {
        throw InputError(
            fmt::format("renumber {} {}: {} has the id {} already; nothing was changed",
                        from.text(), to.text(), path.string(), to.text()));
      }
      if (file.id == from && file.name == chosen.name) {
        const std::string variant = file.dialect.empty() ? "" : "." + file.dialect;
        plan.moves.emplace_back(path,
                                dir / fmt::format("{}_{}{}.sql", to.text(), chosen.name, variant));
      }
    }
  }
  plan.manifest_text = renumber_entry(text, display, chosen.index, to.text());
  // Where it stood among the others, and where it stands now.
  for (const auto& entry : entries) {
    const auto id = project::RevisionId::parse(entry.id);
    if (entry.index == chosen.index || !id) {
      continue;
    }
    if ((entry.index < chosen.index) != (*id < to)) {
      plan.passed.push_back(entry.id);
    }
  }
  plan.later = from < to;
  return plan;
}

void write(const RenumberPlan& plan, const std::function<void()>& interruption_point) {
  std::error_code ec;
  // The manifest to a temporary first: a failure or a signal here leaves
  // every file as it was, the temporary removed on the way out.
  const fs::path temporary = util::temporary_beside(plan.manifest);
  struct Discard {
    const fs::path& path;
    bool keep = false;
    ~Discard() {
      std::error_code ignored;
      if (!keep) {
        fs::remove(path, ignored);
      }
    }
  } discard{temporary};
  if (interruption_point) {
    interruption_point();
  }
  std::vector<std::pair<fs::path, fs::path>> done;
  const auto fail = [&](const std::string& what) {
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      std::error_code ignored;
      fs::rename(it->second, it->first, ignored);
    }
    throw InputError(
        fmt::format("renumber {} {}: {}; nothing was changed", plan.from, plan.to, what));
  };
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << plan.manifest_text;
    out.close();
    if (!out) {
      fail(fmt::format("cannot write {}", temporary.string()));
    }
  }
  if (interruption_point) {
    interruption_point();
  }
  for (const auto& [from, to] : plan.moves) {
    if (fs::exists(to, ec)) {
      fail(fmt::format("{} exists", to.string()));
    }
    fs::rename(from, to, ec);
    if (ec) {
      fail(fmt::format("cannot move {} to {} ({})", from.string(), to.string(), ec.message()));
    }
    done.emplace_back(from, to);
  }
  fs::rename(temporary, plan.manifest, ec);
  if (ec) {
    fail(fmt::format("cannot write {} ({})", plan.manifest.string(), ec.message()));
  }
  discard.keep = true;
}

}  // namespace runner::split
