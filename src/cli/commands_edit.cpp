#include <fstream>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "split/split.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

// Adds one to a string of decimal digits, keeping its width when it can.
std::string increment(const std::string& digits) {
  std::string out = digits;
  for (std::size_t i = out.size(); i-- > 0;) {
    if (out[i] != '9') {
      ++out[i];
      return out;
    }
    out[i] = '0';
  }
  return "1" + out;
}

// The id after the last one: its first group plus one, same width.
std::string next_id(const project::Manifest& manifest) {
  if (manifest.revisions.empty()) {
    return "0001";
  }
  const std::string& last = manifest.revisions.back().id.text();
  return increment(last.substr(0, last.find('.')));
}

// "Add users table" -> "add_users_table".
std::string slug(std::string_view message) {
  std::string out;
  for (char c : util::to_lower(message)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') {
    out.pop_back();
  }
  return out;
}

// The indentation of the existing `- id:` lines, or two spaces.
std::string entry_indent(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    const std::string_view line = text.substr(at, end == std::string_view::npos ? end : end - at);
    const std::size_t dash = line.find_first_not_of(' ');
    if (dash != std::string_view::npos && line.substr(dash, 2) == "- " && dash > 0) {
      return std::string(line.substr(0, dash));
    }
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 1;
  }
  return "  ";
}

std::string template_text(const fs::path& dir, const std::string& file, const std::string& fallback) {
  std::error_code ec;
  if (fs::is_regular_file(dir / file, ec)) {
    return util::read_text_file(dir / file);
  }
  return fallback;
}

void write_new_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    throw InputError(fmt::format("{} already exists", path.string()));
  }
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    throw InputError(fmt::format("{}: cannot write", path.string()));
  }
}

int create_revision(const Context& ctx, const std::string& name, const CommandOptions& o) {
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_-") != std::string::npos) {
    throw UsageError(fmt::format(
        "new: name '{}' may hold only letters, digits, '_' and '-'", name));
  }
  const fs::path manifest_path = ctx.manifest_path();
  std::error_code ec;
  std::string text = fs::exists(manifest_path, ec) ? util::read_text_file(manifest_path)
                                                   : std::string("version: 1\nrevisions:\n");
  std::vector<project::Diagnostic> diagnostics;
  const auto manifest = project::parse_manifest(text, manifest_path.string(), diagnostics);
  if (project::has_errors(diagnostics)) {
    throw project::ProjectError(std::move(diagnostics));
  }
  const std::string id = next_id(manifest);
  const fs::path root = ctx.project_root();
  const fs::path up = root / "migrations" / "up" / fmt::format("{}_{}.sql", id, name);
  const fs::path down = root / "migrations" / "down" / fmt::format("{}_{}.sql", id, name);
  const fs::path templates =
      ctx.templates() ? fs::path(*ctx.templates()) : root / "templates";
  const char* kind = o.data ? "data" : "schema";
  write_new_file(up, template_text(templates, o.data ? "data.up.sql" : "up.sql",
                                   fmt::format("-- {} {}: {} change\n", id, name, kind)));
  write_new_file(down, template_text(templates, o.data ? "data.down.sql" : "down.sql",
                                     fmt::format("-- {} {}: undo the change\n", id, name)));
  // Append, never rewrite: comments and formatting of the manifest survive.
  // Only a new manifest, or an empty flow list `revisions: []`, is written whole.
  bool rewrite = !fs::exists(manifest_path, ec);
  if (manifest.revisions.empty()) {
    if (const auto at = text.find("revisions: []"); at != std::string::npos) {
      text.replace(at, 13, "revisions:");
      rewrite = true;
    }
  }
  const std::string indent = entry_indent(text);
  std::string addition = text.empty() || text.back() == '\n' ? "" : "\n";
  addition += fmt::format("{}- id: \"{}\"\n{}  name: {}\n{}  kind: {}\n", indent, id, indent, name,
                          indent, kind);
  if (o.no_transaction) {
    addition += fmt::format("{}  transaction: false\n", indent);
  }
  std::ofstream out(manifest_path,
                    std::ios::binary | (rewrite ? std::ios::trunc : std::ios::app));
  out << (rewrite ? text + addition : addition);
  out.close();
  if (!out) {
    throw InputError(fmt::format("{}: cannot write", manifest_path.string()));
  }
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"id", id}, {"name", name}, {"up", up.string()}, {"down", down.string()}});
  } else {
    ctx.reporter().out(up.string());
    ctx.reporter().out(down.string());
  }
  return 0;
}

}  // namespace

int cmd_split(const Context& ctx, const CommandOptions& o) {
  const auto id = parse_id(o.target, "split");
  const auto project = ctx.load_project();
  const project::Revision* revision = project.find(*id);
  if (revision == nullptr) {
    throw InputError(fmt::format("split {}: no such revision in {}", id->text(),
                                 ctx.manifest_path().string()));
  }
  if (revision->noop) {
    throw InputError(fmt::format("split {}: the revision does not run on {}", id->text(),
                                 ctx.dialect()));
  }
  const auto connection = ctx.connect_existing();
  const plan::History history = read_history(connection.get(), ctx.tables());
  if (plan::find_record(history, *id) != nullptr) {
    throw InputError(fmt::format("split {}: the revision is already applied to {}; only a "
                                 "revision not yet applied can be split",
                                 id->text(), ctx.url().redacted()));
  }
  const split::Plan result = split::plan(project, *revision, ctx.dialect());
  for (const auto& part : result.revisions) {
    if (plan::find_record(history, *project::RevisionId::parse(part.id)) != nullptr) {
      throw InputError(fmt::format("split {}: its part {} would take an id that the history of {} "
                                   "holds already; nothing was changed",
                                   id->text(), part.id, ctx.url().redacted()));
    }
  }
  split::write(result);
  const auto& first = result.revisions.front();
  if (ctx.reporter().json()) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& part : result.revisions) {
      std::vector<std::string> files;
      for (const auto& file : part.files) {
        files.push_back(file.string());
      }
      parts.push_back({{"id", part.id},
                       {"name", part.name},
                       {"kind", std::string(split::to_string(part.kind))},
                       {"files", files}});
    }
    ctx.reporter().emit({{"revision", id->text()}, {"parts", parts}, {"notes", result.notes}});
  } else if (result.revisions.size() == 1) {
    ctx.reporter().out(fmt::format("revision {} holds only {} statements: nothing to split{}",
                                   id->text(), split::to_string(first.kind),
                                   result.writes.empty() ? "" : fmt::format("; its kind is now {}",
                                                                          split::to_string(first.kind))));
  } else {
    for (const auto& part : result.revisions) {
      ctx.reporter().out(fmt::format("{} {} ({})", part.id, part.name, split::to_string(part.kind)));
      for (const auto& file : part.files) {
        ctx.reporter().out("  " + file.string());
      }
    }
  }
  for (const auto& note : result.notes) {
    ctx.reporter().warning(fmt::format("split {}: {}", id->text(), note));
  }
  return 0;
}

int cmd_new(const Context& ctx, const CommandOptions& o) { return create_revision(ctx, o.name, o); }

int cmd_revision(const Context& ctx, const CommandOptions& o) {
  return create_revision(ctx, slug(o.name), o);
}

}  // namespace runner::cli
