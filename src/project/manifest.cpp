#include "project/manifest.hpp"

#include <yaml.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <unordered_map>
#include <variant>

#include <fmt/core.h>

#include "util/caret.hpp"
#include "util/links.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"

namespace runner::project {
namespace {

constexpr std::string_view k_entry_keys[] = {"id",           "name",     "kind",       "transaction",
                                             "irreversible", "dialects", "description"};

// --- the YAML document, from libyaml's events ---------------------------------------
//
// libyaml (the reference C parser) reads a thousand-revision manifest in a
// sixth of yaml-cpp's time, which is most of a fresh container's first
// `up`. Its events are built here into a flat tree: nodes refer to their
// children by index, so that no depth of nesting recurses (neither here
// nor when the tree is destroyed), and an alias is a node of its own (for
// its place in the text) that names its anchor's node (shared, never
// copied). What aliases would make the revisions copy is counted as it is
// read (alias_budget).

constexpr const char* k_second_document =
    "a second YAML document (after '---'): the manifest is one document";

// Far more than a manifest's four levels (mapping, list, revision, dialects).
constexpr std::size_t k_max_depth = 100;

// Bounds on what a manifest may hold, so that its reading takes memory in
// proportion to the file and never more than a few hundred MB. A real
// 10,000-revision manifest is about 1 MB.
constexpr std::size_t k_max_manifest_bytes = std::size_t{32} << 20;
constexpr std::size_t k_max_revisions = 100000;
// An id and a name are parts of a file name, <id>_<name>.postgres.sql at
// the longest, which a file system takes up to 255 bytes long: that, not
// the id's digits (which have no limit of their own), is what bounds them.
constexpr std::size_t k_max_file_name = 255;
constexpr std::string_view k_longest_suffix = ".postgres.sql";
constexpr std::size_t k_max_file_part = k_max_file_name - k_longest_suffix.size() - 2;
constexpr std::string_view k_file_part = " (it is part of file names)";
constexpr std::size_t k_max_description = std::size_t{64} << 10;

// The bytes of scalars that aliases may make the document hold (each alias
// counts the bytes of its anchor's node, nested aliases included): twice the
// file's size and a MiB, which no manifest without aliases comes near (a
// scalar is never longer than its text) and which keeps a small anchored
// value repeated thousands of times from taking gigabytes once copied into
// the revisions.
std::size_t alias_budget(std::size_t text_size) { return 2 * text_size + (std::size_t{1} << 20); }

// `value` quoted as an error message shows it: a long one cut to its start,
// with its size.
std::string quote_value(std::string_view value) {
  constexpr std::size_t k_shown = 40;
  if (value.size() <= k_shown + 20) {
    return fmt::format("'{}'", value);
  }
  return fmt::format("'{}...' ({} bytes)", util::utf8_prefix(value, k_shown), value.size());
}

struct Mark {
  int line = -1;  // 0-based, as libyaml's
  int column = -1;
};

struct Node {
  enum class Type { null, scalar, sequence, mapping, alias };
  Type type = Type::null;
  std::string scalar;
  Mark mark;
  // A sequence's items; a mapping's key, value, key, ...; an alias's anchored node.
  std::vector<std::size_t> children;

  bool is_scalar() const { return type == Type::scalar; }
};

struct Document {
  std::vector<Node> nodes;
  std::optional<std::size_t> root;  // none: an empty document

  // The node at `index`, or the one an alias there stands for.
  const Node& at(std::size_t index) const {
    const Node& node = nodes[index];
    return node.type == Node::Type::alias ? nodes[node.children.front()] : node;
  }
};

struct SyntaxError {
  Mark mark;
  std::string message;
};

Mark mark_of(const yaml_mark_t& mark) {
  return {static_cast<int>(mark.line), static_cast<int>(mark.column)};
}

// A plain scalar that YAML reads as null (as yaml-cpp did): empty, ~, null.
bool plain_null(const yaml_event_t& event) {
  const auto& s = event.data.scalar;
  if (!s.plain_implicit || s.style != YAML_PLAIN_SCALAR_STYLE || s.tag != nullptr) {
    return false;
  }
  const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
  return value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL";
}

// Where the byte at `offset` of `text` stands, with CRLF, CR and LF each
// ending a line, as libyaml counts them.
Mark mark_at(std::string_view text, std::size_t offset) {
  Mark mark{0, 0};
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      ++mark.line;
      mark.column = 0;
    } else if (text[i] != '\r') {
      ++mark.column;
    }
  }
  return mark;
}

// The 1-based line `line` of `text` without its line end (CRLF, CR or LF).
std::string_view source_line(std::string_view text, int line) {
  std::size_t start = 0;
  for (int current = 1; current < line; ++current) {
    start = text.find_first_of("\r\n", start);
    if (start == std::string_view::npos) {
      return {};
    }
    start += text.compare(start, 2, "\r\n") == 0 ? 2 : 1;
  }
  return text.substr(start, text.find_first_of("\r\n", start) - start);
}

// The first document of `text`; a second one that holds anything is an
// error (its revisions would otherwise be ignored without a word).
std::variant<Document, SyntaxError> parse_yaml(std::string_view text) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    throw std::bad_alloc();
  }
  const std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> owner(&parser, yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  Document document;
  // The collections being read, innermost last, each with its anchor and
  // the scalar bytes read before it: a node's anchor is usable once the
  // node is complete (an alias inside its own anchor's node would make a
  // cycle).
  struct Open {
    std::size_t index;
    std::string anchor;
    std::size_t bytes_before;
  };
  std::vector<Open> open;
  struct Anchored {
    std::size_t index;
    std::size_t bytes;  // of the scalars in the node, aliases counted as what they stand for
  };
  std::map<std::string, Anchored> anchors;
  // The scalar bytes read so far, each alias counted as its anchor's.
  std::size_t bytes = 0;
  const std::size_t budget = alias_budget(text.size());
  int documents = 0;
  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      SyntaxError error{mark_of(parser.problem_mark),
                        parser.problem != nullptr ? parser.problem : "unreadable YAML"};
      if (parser.error == YAML_READER_ERROR) {
        // Bytes that are not text (invalid UTF-8, a control character):
        // libyaml gives their offset only.
        error.mark = mark_at(text, parser.problem_offset);
      }
      if (parser.context != nullptr) {
        error.message +=
            fmt::format(" ({} at line {})", parser.context, parser.context_mark.line + 1);
      }
      return error;
    }
    const std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> event_owner(&event,
                                                                             yaml_event_delete);
    // A node (new, or an alias's) as the next child of the innermost
    // collection, or as the root.
    const auto attach = [&](std::size_t index) {
      if (!open.empty()) {
        document.nodes[open.back().index].children.push_back(index);
      } else if (!document.root) {
        document.root = index;
      }
    };
    const auto add = [&](Node node) {
      document.nodes.push_back(std::move(node));
      attach(document.nodes.size() - 1);
      return document.nodes.size() - 1;
    };
    const auto anchor_name = [](const yaml_char_t* anchor) {
      return anchor != nullptr ? std::string(reinterpret_cast<const char*>(anchor)) : std::string();
    };
    switch (event.type) {
      case YAML_STREAM_END_EVENT:
        return document;
      case YAML_DOCUMENT_START_EVENT:
        ++documents;
        break;
      case YAML_SCALAR_EVENT: {
        Node node;
        node.mark = mark_of(event.start_mark);
        if (!plain_null(event)) {
          node.type = Node::Type::scalar;
          node.scalar.assign(reinterpret_cast<const char*>(event.data.scalar.value),
                             event.data.scalar.length);
        }
        if (documents > 1) {
          if (node.type != Node::Type::null) {
            return SyntaxError{node.mark, k_second_document};
          }
          break;
        }
        bytes += node.scalar.size();
        const std::size_t size = node.scalar.size();
        const std::size_t index = add(std::move(node));
        if (const std::string name = anchor_name(event.data.scalar.anchor); !name.empty()) {
          anchors[name] = {index, size};
        }
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        Node node;
        node.mark = mark_of(event.start_mark);
        if (documents > 1) {
          return SyntaxError{node.mark, k_second_document};
        }
        if (open.size() >= k_max_depth) {
          // libyaml's scanner takes time in the square of the nesting: stop
          // while that is still small (200,000 '[' would take minutes).
          return SyntaxError{node.mark, fmt::format("nested more than {} levels deep (a manifest "
                                                    "needs four)",
                                                    k_max_depth)};
        }
        const bool sequence = event.type == YAML_SEQUENCE_START_EVENT;
        node.type = sequence ? Node::Type::sequence : Node::Type::mapping;
        open.push_back({add(std::move(node)),
                        anchor_name(sequence ? event.data.sequence_start.anchor
                                             : event.data.mapping_start.anchor),
                        bytes});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (!open.back().anchor.empty()) {
          anchors[open.back().anchor] = {open.back().index, bytes - open.back().bytes_before};
        }
        open.pop_back();
        break;
      case YAML_ALIAS_EVENT: {
        const std::string name(reinterpret_cast<const char*>(event.data.alias.anchor));
        const auto it = anchors.find(name);
        if (it == anchors.end()) {
          return SyntaxError{mark_of(event.start_mark),
                             fmt::format("alias '*{}' names no anchor defined before it", name)};
        }
        if (documents > 1) {
          break;
        }
        bytes += it->second.bytes;
        if (bytes > budget) {
          // Each alias would be copied into the revisions it stands in.
          return SyntaxError{
              mark_of(event.start_mark),
              fmt::format("aliases repeat the values of anchors to more than {} bytes, the "
                          "limit for a manifest of {} bytes (twice its size and 1 MiB): alias "
                          "'*{}' stands for {} bytes",
                          budget, text.size(), name, it->second.bytes)};
        }
        Node node;
        node.type = Node::Type::alias;
        node.mark = mark_of(event.start_mark);
        node.children.push_back(it->second.index);
        add(std::move(node));
        break;
      }
      default:
        break;
    }
  }
}

// The value of `key` in `map`, if it has one.
const Node* value_of(const Document& document, const Node& map, std::string_view key) {
  for (std::size_t i = 0; i + 1 < map.children.size(); i += 2) {
    const Node& k = document.at(map.children[i]);
    if (k.is_scalar() && k.scalar == key) {
      return &document.at(map.children[i + 1]);
    }
  }
  return nullptr;
}

// YAML's words for true and false, in one case throughout or capitalised
// (y, Yes, TRUE, on, ...), as yaml-cpp read them.
std::optional<bool> boolean_word(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const bool all_lower = std::all_of(text.begin(), text.end(), [&](char c) { return !upper(c); });
  const bool all_upper = std::all_of(text.begin(), text.end(), [&](char c) { return !lower(c); });
  const bool capitalised = upper(text[0]) && std::all_of(text.begin() + 1, text.end(),
                                                         [&](char c) { return !upper(c); });
  if (!all_lower && !all_upper && !capitalised) {
    return std::nullopt;
  }
  const std::string folded = util::to_lower(text);
  for (const auto& [yes, no] : std::array<std::pair<std::string_view, std::string_view>, 4>{
           {{"y", "n"}, {"yes", "no"}, {"true", "false"}, {"on", "off"}}}) {
    if (folded == yes) {
      return true;
    }
    if (folded == no) {
      return false;
    }
  }
  return std::nullopt;
}

// Collects diagnostics located at YAML nodes of one manifest text.
class Checker {
 public:
  Checker(std::string_view text, std::string path, std::vector<Diagnostic>& out)
      : m_text(text), m_path(std::move(path)), m_out(out) {}

  void error(const Mark& mark, std::string message) {
    Diagnostic d;
    d.path = m_path;
    d.line = mark.line >= 0 ? mark.line + 1 : 0;
    d.column = mark.column >= 0 ? mark.column + 1 : 0;
    d.message = std::move(message);
    if (d.line > 0) {
      d.excerpt = util::caret_excerpt(source_line(m_text, d.line), d.column);
    }
    m_out.push_back(std::move(d));
  }

  // The string `node` holds as the value of `key`, at most `max_bytes` long
  // (`why`, when given, says why in the message).
  std::optional<std::string> scalar(const Node& node, std::string_view key,
                                    std::size_t max_bytes = std::string::npos,
                                    std::string_view why = {}) {
    if (!node.is_scalar()) {
      error(node.mark, fmt::format("'{}' must be a string", key));
      return std::nullopt;
    }
    if (node.scalar.size() > max_bytes) {
      error(node.mark, fmt::format("'{}' {} is longer than the {} bytes it may have{}", key,
                                   quote_value(node.scalar), max_bytes, why));
      return std::nullopt;
    }
    return node.scalar;
  }

  std::optional<bool> boolean(const Node& node, std::string_view key) {
    const auto value = node.is_scalar() ? boolean_word(node.scalar) : std::nullopt;
    if (!value) {
      error(node.mark, fmt::format("'{}' must be true or false", key));
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

std::optional<Entry> parse_entry(const Document& document, const Node& node, Checker& check) {
  if (node.type != Node::Type::mapping) {
    check.error(node.mark, "a revision must be a mapping with id, name and kind");
    return std::nullopt;
  }
  Entry entry;
  entry.line = node.mark.line + 1;
  bool ok = true;
  bool has_id = false;
  bool has_name = false;
  bool has_kind = false;
  std::string id_text;
  Mark name_mark;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i + 1 < node.children.size(); i += 2) {
    const Node& key_node = document.at(node.children[i]);
    const Node& value = document.at(node.children[i + 1]);
    if (!key_node.is_scalar()) {
      check.error(key_node.mark, "a key must be a plain word such as 'name'");
      ok = false;
      continue;
    }
    const std::string& key = key_node.scalar;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      // YAML forbids it; a parser would quietly keep one of them.
      check.error(key_node.mark,
                  fmt::format("{} is given twice in this revision", quote_value(key)));
      ok = false;
      continue;
    }
    seen.push_back(key);
    if (std::find(std::begin(k_entry_keys), std::end(k_entry_keys), key) ==
        std::end(k_entry_keys)) {
      check.error(key_node.mark,
                  fmt::format("unknown key {} (expected id, name, kind, transaction, "
                              "irreversible, dialects, description)",
                              quote_value(key)));
      ok = false;
      continue;
    }
    if (key == "id") {
      has_id = true;
      const auto text = check.scalar(value, key, k_max_file_part, k_file_part);
      auto id = text ? RevisionId::parse(*text) : std::nullopt;
      if (text && !id) {
        check.error(value.mark, fmt::format("id {} is not dotted digit groups like 0001 or 3.1",
                                            quote_value(*text)));
      }
      if (!id) {
        ok = false;
      } else {
        entry.id = *id;
        id_text = *text;
      }
    } else if (key == "name") {
      has_name = true;
      const auto text = check.scalar(value, key, k_max_file_part, k_file_part);
      if (text && !valid_name(*text)) {
        check.error(value.mark, fmt::format("name {} may hold only letters, digits, '_' and '-'",
                                            quote_value(*text)));
        ok = false;
      } else if (!text) {
        ok = false;
      } else {
        entry.name = *text;
        name_mark = value.mark;
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
          check.error(value.mark,
                      fmt::format("kind {} is not one of schema, data, mixed", quote_value(*text)));
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
      if (value.type != Node::Type::sequence) {
        check.error(value.mark, "'dialects' must be a list such as [postgres, mysql]");
        ok = false;
        continue;
      }
      if (value.children.empty()) {
        // Read as "none" it would run nowhere, as "all" it would say nothing.
        check.error(value.mark,
                    "'dialects' is empty; leave the key out to run the revision on every "
                    "dialect, or name those it runs on");
        ok = false;
      }
      for (const std::size_t index : value.children) {
        const Node& item = document.at(index);
        const auto text = check.scalar(item, "dialects item");
        if (text && std::find(std::begin(k_dialect_names), std::end(k_dialect_names), *text) ==
                        std::end(k_dialect_names)) {
          check.error(item.mark,
                      fmt::format("unknown dialect {} (expected sqlite, postgres, mysql)",
                                  quote_value(*text)));
          ok = false;
        } else if (text && std::find(entry.dialects.begin(), entry.dialects.end(), *text) !=
                               entry.dialects.end()) {
          check.error(item.mark, fmt::format("dialect '{}' is named twice", *text));
          ok = false;
        } else if (text) {
          entry.dialects.push_back(*text);
        } else {
          ok = false;
        }
      }
    } else if (key == "description") {
      const auto text = check.scalar(value, key, k_max_description);
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
      check.error(node.mark, fmt::format("revision is missing the required key '{}'", key));
      ok = false;
    }
  }
  if (const std::size_t longest = id_text.size() + 1 + entry.name.size() + k_longest_suffix.size();
      ok && longest > k_max_file_name) {
    check.error(name_mark,
                fmt::format("the revision's longest file name, {}_{}{}, would be {} bytes, more "
                            "than the {} a file name may have: shorten its name",
                            id_text, entry.name, k_longest_suffix, longest, k_max_file_name));
    ok = false;
  }
  return ok ? std::optional<Entry>(std::move(entry)) : std::nullopt;
}

Manifest read_manifest(std::string_view text, Checker& check) {
  Manifest manifest;
  manifest.path = check.path();
  if (text.size() > k_max_manifest_bytes) {
    check.error(mark_at(text, k_max_manifest_bytes),
                fmt::format("the manifest is {} bytes, more than the {} (32 MiB) a manifest may "
                            "be; it passes the limit here",
                            text.size(), k_max_manifest_bytes));
    return manifest;
  }
  auto parsed = parse_yaml(text);
  if (const auto* error = std::get_if<SyntaxError>(&parsed)) {
    check.error(error->mark, "malformed YAML: " + error->message);
    return manifest;
  }
  const Document& document = std::get<Document>(parsed);
  const Node* root = document.root ? &document.at(*document.root) : nullptr;
  if (root == nullptr || root->type != Node::Type::mapping) {
    check.error(root != nullptr && root->type != Node::Type::null ? root->mark : Mark{0, 0},
                "the manifest must be a mapping with 'version: 1' and 'revisions:'");
    return manifest;
  }
  bool has_version = false;
  const Node* revisions = nullptr;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i + 1 < root->children.size(); i += 2) {
    const Node& key_node = document.at(root->children[i]);
    const Node& value = document.at(root->children[i + 1]);
    if (!key_node.is_scalar()) {
      check.error(key_node.mark, "a key must be a plain word such as 'revisions'");
      continue;
    }
    const std::string& key = key_node.scalar;
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      check.error(key_node.mark, fmt::format("{} is given twice", quote_value(key)));
      continue;
    }
    keys.push_back(key);
    if (key == "version") {
      has_version = true;
      if (!value.is_scalar() || value.scalar != "1") {
        check.error(value.mark, "unsupported manifest version (expected 'version: 1')");
      }
    } else if (key == "revisions") {
      revisions = &value;
    } else {
      check.error(key_node.mark,
                  fmt::format("unknown key {} (expected version, revisions)", quote_value(key)));
    }
  }
  if (!has_version) {
    check.error(root->mark, "missing key 'version' (expected 'version: 1')");
  }
  if (revisions == nullptr || revisions->type == Node::Type::null) {
    return manifest;
  }
  if (revisions->type != Node::Type::sequence) {
    check.error(revisions->mark, "'revisions' must be a list of revisions");
    return manifest;
  }
  if (revisions->children.size() > k_max_revisions) {
    check.error(document.nodes[revisions->children[k_max_revisions]].mark,
                fmt::format("more than {} revisions ({}): the limit of a manifest (ten times a "
                            "big project's)",
                            k_max_revisions, revisions->children.size()));
    return manifest;
  }
  manifest.revisions.reserve(revisions->children.size());
  std::unordered_map<std::string, int> seen;  // canonical id -> line
  seen.reserve(revisions->children.size());
  for (const std::size_t index : revisions->children) {
    const Node& written = document.nodes[index];
    const Node& item = document.at(index);
    auto entry = parse_entry(document, item, check);
    if (!entry) {
      continue;
    }
    // A revision given by an alias (- *r) stands where the alias is.
    const Mark mark =
        written.type == Node::Type::alias ? written.mark : value_of(document, item, "id")->mark;
    entry->line = written.mark.line + 1;
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
  Checker check(text, display_path, diagnostics);
  try {
    return read_manifest(text, check);
  } catch (const std::bad_alloc&) {
    // What was read is freed by now; the problems found so far may be what
    // took the memory.
    try {
      diagnostics.push_back(manifest_out_of_memory(display_path, text.size()));
    } catch (const std::bad_alloc&) {
      diagnostics.clear();
      diagnostics.shrink_to_fit();
      diagnostics.push_back(manifest_out_of_memory(display_path, text.size()));
    }
    Manifest manifest;
    manifest.path = display_path;
    return manifest;
  }
}

std::optional<std::string> manifest_unreadable(const std::filesystem::path& path) {
  if (auto broken = util::broken_link(path)) {
    return "the manifest is " + *broken;
  }
  if (auto what = util::not_regular(path)) {
    return "the manifest " + *what;
  }
  return std::nullopt;
}

Diagnostic manifest_out_of_memory(const std::string& display_path, std::uintmax_t size) {
  return Diagnostic{
      display_path,
      0,
      0,
      Severity::error,
      fmt::format("the manifest ({} bytes) could not be read: the memory ran out", size),
      {}};
}

Diagnostic manifest_not_found(const std::filesystem::path& path) {
  return Diagnostic{path.string(),
                    0,
                    0,
                    Severity::error,
                    manifest_unreadable(path).value_or(
                        "manifest not found (run 'runner new NAME' to start one, or pass -m FILE)"),
                    {}};
}

Manifest load_manifest(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ProjectError({manifest_not_found(path)});
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
