#include "project/manifest.hpp"

#include <algorithm>
#include <map>

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include "util/strings.hpp"
#include "util/text_reader.hpp"

namespace runner::project {
namespace {

constexpr std::string_view k_entry_keys[] = {"id",           "name",     "kind",       "transaction",
                                             "irreversible", "dialects", "description"};

// Collects diagnostics located at YAML nodes of one manifest text.
class Checker {
 public:
  Checker(std::string_view text, std::string path, std::vector<Diagnostic>& out)
      : m_text(text), m_path(std::move(path)), m_out(out) {}

  void error(const YAML::Mark& mark, std::string message) {
    Diagnostic d;
    d.path = m_path;
    d.line = mark.line >= 0 ? mark.line + 1 : 0;
    d.column = mark.column >= 0 ? mark.column + 1 : 0;
    d.message = std::move(message);
    if (d.line > 0) {
      d.source_line = std::string(util::line_of(m_text, d.line));
    }
    m_out.push_back(std::move(d));
  }

  std::optional<std::string> scalar(const YAML::Node& node, std::string_view key) {
    if (!node.IsScalar()) {
      error(node.Mark(), fmt::format("'{}' must be a string", key));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<bool> boolean(const YAML::Node& node, std::string_view key) {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      error(node.Mark(), fmt::format("'{}' must be true or false", key));
      return std::nullopt;
    }
    return value;
  }

  const std::string& path() const { return m_path; }

 private:
  std::string_view m_text;
  std::string m_path;
  std::vector<Diagnostic>& m_out;
};

bool valid_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

std::optional<Entry> parse_entry(const YAML::Node& node, Checker& check) {
  if (!node.IsMap()) {
    check.error(node.Mark(), "a revision must be a mapping with id, name and kind");
    return std::nullopt;
  }
  Entry entry;
  entry.line = node.Mark().line + 1;
  bool ok = true;
  bool has_id = false;
  bool has_name = false;
  bool has_kind = false;
  std::vector<std::string> seen;
  for (const auto& pair : node) {
    if (!pair.first.IsScalar()) {
      check.error(pair.first.Mark(), "a key must be a plain word such as 'name'");
      ok = false;
      continue;
    }
    const std::string key = pair.first.Scalar();
    const YAML::Node& value = pair.second;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      // YAML forbids it and yaml-cpp would quietly keep both.
      check.error(pair.first.Mark(), fmt::format("'{}' is given twice in this revision", key));
      ok = false;
      continue;
    }
    seen.push_back(key);
    if (std::find(std::begin(k_entry_keys), std::end(k_entry_keys), key) ==
        std::end(k_entry_keys)) {
      check.error(pair.first.Mark(),
                  fmt::format("unknown key '{}' (expected id, name, kind, transaction, "
                              "irreversible, dialects, description)",
                              key));
      ok = false;
      continue;
    }
    if (key == "id") {
      has_id = true;
      const auto text = check.scalar(value, key);
      auto id = text ? RevisionId::parse(*text) : std::nullopt;
      if (text && !id) {
        check.error(value.Mark(), fmt::format("id '{}' is not dotted digit groups like 0001 or 3.1",
                                              *text));
      }
      if (!id) {
        ok = false;
      } else {
        entry.id = *id;
      }
    } else if (key == "name") {
      has_name = true;
      const auto text = check.scalar(value, key);
      if (text && !valid_name(*text)) {
        check.error(value.Mark(),
                    fmt::format("name '{}' may hold only letters, digits, '_' and '-'", *text));
        ok = false;
      } else if (!text) {
        ok = false;
      } else {
        entry.name = *text;
      }
    } else if (key == "kind") {
      has_kind = true;
      const auto text = check.scalar(value, key);
      if (text && *text == "schema") {
        entry.kind = Kind::schema;
      } else if (text && *text == "data") {
        entry.kind = Kind::data;
      } else if (text && *text == "mixed") {
        entry.kind = Kind::mixed;
      } else {
        if (text) {
          check.error(value.Mark(),
                      fmt::format("kind '{}' is not one of schema, data, mixed", *text));
        }
        ok = false;
      }
    } else if (key == "transaction" || key == "irreversible") {
      const auto flag = check.boolean(value, key);
      if (!flag) {
        ok = false;
      } else {
        (key == "transaction" ? entry.transaction : entry.irreversible) = *flag;
      }
    } else if (key == "dialects") {
      if (!value.IsSequence()) {
        check.error(value.Mark(), "'dialects' must be a list such as [postgres, mysql]");
        ok = false;
        continue;
      }
      for (const auto& item : value) {
        const auto text = check.scalar(item, "dialects item");
        if (text && std::find(std::begin(k_dialect_names), std::end(k_dialect_names), *text) ==
                        std::end(k_dialect_names)) {
          check.error(item.Mark(),
                      fmt::format("unknown dialect '{}' (expected sqlite, postgres, mysql)", *text));
          ok = false;
        } else if (text) {
          entry.dialects.push_back(*text);
        } else {
          ok = false;
        }
      }
    } else if (key == "description") {
      const auto text = check.scalar(value, key);
      if (text) {
        entry.description = *text;
      } else {
        ok = false;
      }
    }
  }
  for (const auto& [present, key] :
       {std::pair{has_id, "id"}, std::pair{has_name, "name"}, std::pair{has_kind, "kind"}}) {
    if (!present) {
      check.error(node.Mark(), fmt::format("revision is missing the required key '{}'", key));
      ok = false;
    }
  }
  return ok ? std::optional<Entry>(std::move(entry)) : std::nullopt;
}

}  // namespace

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::schema:
      return "schema";
    case Kind::data:
      return "data";
    case Kind::mixed:
      return "mixed";
  }
  return "schema";
}

bool Entry::runs_on(std::string_view dialect) const {
  return dialects.empty() || std::find(dialects.begin(), dialects.end(), dialect) != dialects.end();
}

Manifest parse_manifest(std::string_view text, const std::string& display_path,
                        std::vector<Diagnostic>& diagnostics) {
  Manifest manifest;
  manifest.path = display_path;
  Checker check(text, display_path, diagnostics);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    check.error(e.mark, "malformed YAML: " + e.msg);
    return manifest;
  }
  if (!root.IsMap()) {
    check.error(root.IsDefined() && !root.IsNull() ? root.Mark() : YAML::Mark(),
                "the manifest must be a mapping with 'version: 1' and 'revisions:'");
    return manifest;
  }
  bool has_version = false;
  YAML::Node revisions;
  std::vector<std::string> keys;
  for (const auto& pair : root) {
    if (!pair.first.IsScalar()) {
      check.error(pair.first.Mark(), "a key must be a plain word such as 'revisions'");
      continue;
    }
    const std::string key = pair.first.Scalar();
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      check.error(pair.first.Mark(), fmt::format("'{}' is given twice", key));
      continue;
    }
    keys.push_back(key);
    if (key == "version") {
      has_version = true;
      if (!pair.second.IsScalar() || pair.second.Scalar() != "1") {
        check.error(pair.second.Mark(), "unsupported manifest version (expected 'version: 1')");
      }
    } else if (key == "revisions") {
      revisions = pair.second;
    } else {
      check.error(pair.first.Mark(),
                  fmt::format("unknown key '{}' (expected version, revisions)", key));
    }
  }
  if (!has_version) {
    check.error(root.Mark(), "missing key 'version' (expected 'version: 1')");
  }
  if (!revisions || revisions.IsNull()) {
    return manifest;
  }
  if (!revisions.IsSequence()) {
    check.error(revisions.Mark(), "'revisions' must be a list of revisions");
    return manifest;
  }
  std::map<std::string, int> seen;  // canonical id -> line
  for (const auto& item : revisions) {
    auto entry = parse_entry(item, check);
    if (!entry) {
      continue;
    }
    const YAML::Mark mark = item["id"].Mark();
    if (const auto it = seen.find(entry->id.canonical()); it != seen.end()) {
      check.error(mark, fmt::format("duplicate id '{}' (already used on line {})",
                                    entry->id.text(), it->second));
      continue;
    }
    seen.emplace(entry->id.canonical(), entry->line);
    if (!manifest.revisions.empty() && entry->id < manifest.revisions.back().id) {
      check.error(mark, fmt::format("id '{}' is out of order: it must come after '{}' (line {})",
                                    entry->id.text(), manifest.revisions.back().id.text(),
                                    manifest.revisions.back().line));
      continue;
    }
    manifest.revisions.push_back(std::move(*entry));
  }
  return manifest;
}

Manifest load_manifest(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ProjectError({Diagnostic{path.string(), 0, 0, Severity::error,
                                   "manifest not found (run 'runner new NAME' to start one, or "
                                   "pass -m FILE)",
                                   {}}});
  }
  const std::string text = util::read_text_file(path);
  std::vector<Diagnostic> diagnostics;
  Manifest manifest = parse_manifest(text, path.string(), diagnostics);
  manifest.path = path;
  if (has_errors(diagnostics)) {
    throw ProjectError(std::move(diagnostics));
  }
  return manifest;
}

}  // namespace runner::project
