#include <fstream>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "sql/classifier.hpp"
#include "sql/splitter.hpp"
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

struct SplitFiles {
  std::string schema;
  std::string data;
};

// Divides a file's statements: schema ones to the first part, data ones to
// the second, neutral ones (SET, PRAGMA, ...) to both.
SplitFiles divide(const fs::path& path, std::string_view dialect, const std::string& id) {
  SplitFiles out{fmt::format("-- split from revision {}: its schema statements\n", id),
                 fmt::format("-- split from revision {}: its data statements\n", id)};
  sql::StatementReader reader(path, dialect);
  while (const auto statement = reader.next()) {
    const auto c = sql::classify(statement->text, dialect);
    const std::string text = statement->text + ";\n";
    switch (c.kind) {
      case sql::StatementKind::schema:
        out.schema += text;
        break;
      case sql::StatementKind::data:
        out.data += text;
        break;
      case sql::StatementKind::neutral:
        out.schema += text;
        out.data += text;
        break;
      case sql::StatementKind::unknown:
        throw InputError(fmt::format(
            "{}:{}:{}: error: cannot tell whether this statement ({}) is schema or data; split "
            "the revision by hand",
            path.string(), statement->line, statement->column, c.verb));
    }
  }
  return out;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    throw InputError(fmt::format("{}: cannot write", path.string()));
  }
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
  if (plan::find_record(read_history(connection.get(), ctx.tables()), *id) != nullptr) {
    throw InputError(fmt::format("split {}: the revision is already applied to {}; only a "
                                 "revision not yet applied can be split",
                                 id->text(), ctx.url().redacted()));
  }
  const auto new_id = project::RevisionId::parse(id->text() + ".1");
  const auto& revisions = project.revisions();
  for (const auto& other : revisions) {
    if (other.id() > *id && !(other.id() > *new_id)) {
      throw InputError(fmt::format("split {}: revision {} already takes the place of {}",
                                   id->text(), other.id().text(), new_id->text()));
    }
  }
  const std::string data_name = revision->name() + "_data";
  const SplitFiles up = divide(revision->up, ctx.dialect(), id->text());
  const auto down = revision->down.empty()
                        ? std::optional<SplitFiles>()
                        : std::optional<SplitFiles>(divide(revision->down, ctx.dialect(), id->text()));
  const fs::path root = ctx.project_root();
  const fs::path data_up = root / "migrations" / "up" / fmt::format("{}_{}.sql", new_id->text(), data_name);
  const fs::path data_down = root / "migrations" / "down" / fmt::format("{}_{}.sql", new_id->text(), data_name);
  // Edit the manifest as text: the entry's kind becomes schema, and the new
  // entry follows it; every other byte stays as it was.
  std::string text = util::read_text_file(ctx.manifest_path());
  std::vector<std::string> lines = util::split(text, '\n');
  const std::size_t first = static_cast<std::size_t>(revision->entry.line - 1);
  std::size_t end = first + 1;
  // The entry's line is `<dash>- id: ...`; its keys sit after the dash.
  const std::size_t dash = lines[first].find_first_not_of(' ');
  const std::size_t key = lines[first].find_first_not_of(' ', dash + 1);
  while (end < lines.size() && !util::trim(lines[end]).empty() &&
         lines[end].find_first_not_of(' ') > dash) {
    ++end;
  }
  bool kind_set = false;
  for (std::size_t i = first; i < end; ++i) {
    const std::size_t at = lines[i].find("kind:");
    if (at != std::string::npos) {
      const std::size_t comment = lines[i].find(" #", at);
      lines[i] = lines[i].substr(0, at) + "kind: schema" +
                 (comment == std::string::npos ? "" : lines[i].substr(comment));
      kind_set = true;
    }
  }
  if (!kind_set) {
    throw InputError(fmt::format("{}:{}: cannot find the entry's kind to rewrite",
                                 ctx.manifest_path().string(), revision->entry.line));
  }
  const std::string pad(key, ' ');
  std::vector<std::string> entry{
      fmt::format("{}-{}id: \"{}\"", std::string(dash, ' '), std::string(key - dash - 1, ' '),
                  new_id->text()),
      fmt::format("{}name: {}", pad, data_name), fmt::format("{}kind: data", pad)};
  if (revision->entry.irreversible) {
    entry.push_back(fmt::format("{}irreversible: true", pad));
  }
  if (!revision->entry.transaction) {
    entry.push_back(fmt::format("{}transaction: false", pad));
  }
  lines.insert(lines.begin() + static_cast<long>(end), entry.begin(), entry.end());
  std::string rewritten;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    rewritten += lines[i];
    if (i + 1 < lines.size()) {
      rewritten += '\n';
    }
  }
  write_new_file(data_up, up.data);
  if (down) {
    write_new_file(data_down, down->data);
    write_file(revision->down, down->schema);
  }
  write_file(revision->up, up.schema);
  write_file(ctx.manifest_path(), rewritten);
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"schema", id->text()}, {"data", new_id->text()}, {"up", data_up.string()}});
  } else {
    ctx.reporter().out(revision->up.string());
    ctx.reporter().out(data_up.string());
    if (down) {
      ctx.reporter().out(revision->down.string());
      ctx.reporter().out(data_down.string());
    }
  }
  return 0;
}

int cmd_new(const Context& ctx, const CommandOptions& o) { return create_revision(ctx, o.name, o); }

int cmd_revision(const Context& ctx, const CommandOptions& o) {
  return create_revision(ctx, slug(o.name), o);
}

}  // namespace runner::cli
