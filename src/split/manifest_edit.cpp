#include "split/manifest_edit.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/core.h>

#include "project/manifest.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::split {
namespace {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// A replacement of text[span] by `text`.
struct Edit {
  Span span;
  std::string text;
};

// One item of the revisions list, as found in the text.
struct Item {
  bool flow = false;                   // written {id: ..., name: ...}
  bool in_flow_list = false;           // an item of revisions: [...]
  Span map;                            // flow: from '{' to after '}'
  std::size_t begin = 0;               // block: start of the line holding the dash
  std::size_t end = 0;                 // block: after the item's last line that is not a comment
  std::vector<Span> skip;              // block: comment and blank lines inside the item
  std::optional<Span> id, name, kind;  // the values' spans, quotes included
};

class Scanner {
 public:
  Scanner(std::string_view text, const std::string& path) : m_text(text), m_path(path) {}

  [[noreturn]] void refuse(std::size_t at, std::string_view why) const {
    const auto line = 1 + std::count(m_text.begin(), m_text.begin() + static_cast<long>(at), '\n');
    throw InputError(
        fmt::format("{}:{}: error: split cannot edit this manifest entry safely ({}); "
                    "nothing was changed. Split the revision by hand",
                    m_path, line, why));
  }

  std::size_t line_begin(std::size_t at) const {
    const std::size_t newline = at == 0 ? std::string_view::npos : m_text.rfind('\n', at - 1);
    return newline == std::string_view::npos ? 0 : newline + 1;
  }
  // The end of the line holding `at`, before its "\r\n" or "\n".
  std::size_t line_end(std::size_t at) const {
    std::size_t end = std::min(m_text.find('\n', at), m_text.size());
    if (end > at && m_text[end - 1] == '\r') {
      --end;
    }
    return end;
  }
  // After the line's newline (or the end of the text).
  std::size_t next_line(std::size_t at) const {
    const std::size_t newline = m_text.find('\n', at);
    return newline == std::string_view::npos ? m_text.size() : newline + 1;
  }
  std::size_t skip_blanks(std::size_t at) const {
    while (at < m_text.size() && (m_text[at] == ' ' || m_text[at] == '\t')) {
      ++at;
    }
    return at;
  }
  bool at_line_end(std::size_t at) const { return at >= line_end(at) || m_text[at] == '#'; }

  // After a quoted scalar starting at `at`.
  std::size_t skip_quoted(std::size_t at) const {
    const char quote = m_text[at];
    for (std::size_t i = at + 1; i < m_text.size(); ++i) {
      if (quote == '"' && m_text[i] == '\\') {
        ++i;
      } else if (m_text[i] == quote) {
        if (quote == '\'' && i + 1 < m_text.size() && m_text[i + 1] == '\'') {
          ++i;
          continue;
        }
        return i + 1;
      }
    }
    refuse(at, "an unterminated quoted value");
  }

  // Spaces, newlines and comments in a flow collection.
  std::size_t skip_flow_space(std::size_t at) const {
    while (at < m_text.size()) {
      const char c = m_text[at];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++at;
      } else if (c == '#') {
        at = next_line(at);
      } else {
        break;
      }
    }
    return at;
  }

  // After a flow value at `at`: quoted, a nested collection, or plain.
  std::size_t skip_flow_value(std::size_t at) const {
    if (at >= m_text.size()) {
      refuse(at, "the manifest ends inside a list");
    }
    const char c = m_text[at];
    if (c == '"' || c == '\'') {
      return skip_quoted(at);
    }
    if (c == '[' || c == '{') {
      const char close = c == '[' ? ']' : '}';
      std::size_t i = skip_flow_space(at + 1);
      while (i < m_text.size() && m_text[i] != close) {
        i = skip_flow_value(i);
        i = skip_flow_space(i);
        if (i < m_text.size() && m_text[i] == ':') {
          i = skip_flow_space(i + 1);
          continue;
        }
        if (i < m_text.size() && m_text[i] == ',') {
          i = skip_flow_space(i + 1);
        } else if (i < m_text.size() && m_text[i] != close) {
          refuse(i, "an unexpected character in a flow collection");
        }
      }
      if (i >= m_text.size()) {
        refuse(at, "an unterminated flow collection");
      }
      return i + 1;
    }
    std::size_t i = at;
    while (i < m_text.size() &&
           std::string_view(",[]{}:\n\r").find(m_text[i]) == std::string_view::npos &&
           !(m_text[i] == '#' && i > at && (m_text[i - 1] == ' ' || m_text[i - 1] == '\t'))) {
      ++i;
    }
    while (i > at && (m_text[i - 1] == ' ' || m_text[i - 1] == '\t')) {
      --i;
    }
    return i;
  }

  // The key at `at` (quoted or plain) and the position after its ':'.
  std::optional<std::pair<std::string, std::size_t>> key_at(std::size_t at) const {
    std::size_t end = at;
    std::string key;
    if (at < m_text.size() && (m_text[at] == '"' || m_text[at] == '\'')) {
      end = skip_quoted(at);
      key = std::string(m_text.substr(at + 1, end - at - 2));
    } else {
      while (end < m_text.size() && (std::isalnum(static_cast<unsigned char>(m_text[end])) ||
                                     m_text[end] == '_' || m_text[end] == '-')) {
        ++end;
      }
      key = std::string(m_text.substr(at, end - at));
    }
    end = skip_blanks(end);
    if (key.empty() || end >= m_text.size() || m_text[end] != ':') {
      return std::nullopt;
    }
    return std::pair{key, end + 1};
  }

  // Notes the span of an id, name or kind value.
  void note_value(Item& item, const std::string& key, Span value, bool block) const {
    std::optional<Span>* slot = key == "id"     ? &item.id
                                : key == "name" ? &item.name
                                : key == "kind" ? &item.kind
                                                : nullptr;
    if (slot == nullptr) {
      return;
    }
    if (value.begin >= value.end ||
        std::string_view("|>&*!{[").find(m_text[value.begin]) != std::string_view::npos ||
        (block && value.end > line_end(value.begin))) {
      refuse(value.begin, fmt::format("its '{}' is not a one-line scalar", key));
    }
    *slot = value;
  }

  // Reads a flow map {...} at `at` into `item`.
  void read_flow_map(std::size_t at, Item& item) const {
    item.flow = true;
    item.map.begin = at;
    std::size_t i = skip_flow_space(at + 1);
    while (i < m_text.size() && m_text[i] != '}') {
      const auto key = key_at(i);
      if (!key) {
        refuse(i, "a key that is not a plain word");
      }
      const std::size_t value = skip_flow_space(key->second);
      const std::size_t end = skip_flow_value(value);
      note_value(item, key->first, Span{value, end}, false);
      i = skip_flow_space(end);
      if (i < m_text.size() && m_text[i] == ',') {
        i = skip_flow_space(i + 1);
      } else if (i < m_text.size() && m_text[i] != '}') {
        refuse(i, "an unexpected character in the entry");
      }
    }
    if (i >= m_text.size()) {
      refuse(at, "an unterminated entry");
    }
    item.map.end = i + 1;
  }

  // The value span of a block key's value that starts at `at`.
  Span block_value(std::size_t at) const {
    const std::size_t begin = skip_blanks(at);
    if (begin < m_text.size() && (m_text[begin] == '"' || m_text[begin] == '\'')) {
      return Span{begin, skip_quoted(begin)};
    }
    std::size_t end = begin;
    const std::size_t stop = line_end(begin);
    while (end < stop && !(m_text[end] == '#' && end > begin &&
                           (m_text[end - 1] == ' ' || m_text[end - 1] == '\t'))) {
      ++end;
    }
    while (end > begin && (m_text[end - 1] == ' ' || m_text[end - 1] == '\t')) {
      --end;
    }
    return Span{begin, end};
  }

  // The items of the revisions list, in order.
  std::vector<Item> items() const {
    const std::size_t key = find_revisions_key();
    const std::size_t after = skip_blanks(key);
    if (after < m_text.size() && m_text[after] == '[') {
      return flow_items(after);
    }
    if (!at_line_end(after)) {
      refuse(after, "'revisions:' is followed by something other than a list");
    }
    return block_items(next_line(after));
  }

 private:
  // The position after `revisions:` at the start of a line.
  std::size_t find_revisions_key() const {
    std::size_t at = m_text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    for (; at < m_text.size(); at = next_line(at)) {
      if (m_text.compare(at, 9, "revisions") == 0) {
        const auto key = key_at(at);
        if (key && key->first == "revisions") {
          return key->second;
        }
      }
    }
    refuse(0, "no 'revisions:' key at the start of a line");
  }

  std::vector<Item> flow_items(std::size_t open) const {
    std::vector<Item> found;
    std::size_t i = skip_flow_space(open + 1);
    while (i < m_text.size() && m_text[i] != ']') {
      if (m_text[i] != '{') {
        refuse(i, "an entry of the list that is not a {...} mapping");
      }
      Item item;
      item.in_flow_list = true;
      read_flow_map(i, item);
      found.push_back(item);
      i = skip_flow_space(item.map.end);
      if (i < m_text.size() && m_text[i] == ',') {
        i = skip_flow_space(i + 1);
      } else if (i < m_text.size() && m_text[i] != ']') {
        refuse(i, "an unexpected character in the list");
      }
    }
    return found;
  }

  std::vector<Item> block_items(std::size_t from) const {
    std::vector<Item> found;
    std::optional<std::size_t> dash_column;
    constexpr std::size_t k_none = std::string_view::npos;
    std::size_t key_column = k_none;  // of the current block item's keys
    for (std::size_t line = from; line < m_text.size(); line = next_line(line)) {
      const std::size_t first = skip_blanks(line);
      const bool blank = first >= line_end(line) || m_text[first] == '#';
      if (blank) {
        // A comment line inside an entry is not copied with it; a blank
        // line may belong to a block scalar (description: |) and is.
        if (!found.empty() && !found.back().flow && first < line_end(line)) {
          found.back().skip.push_back(Span{line, next_line(line)});
        }
        continue;
      }
      const std::size_t column = first - line;
      const bool dash =
          m_text[first] == '-' &&
          (first + 1 >= line_end(line) || m_text[first + 1] == ' ' || m_text[first + 1] == '\t');
      if (!dash_column) {
        if (!dash) {
          refuse(first, "'revisions:' is not followed by a list");
        }
        dash_column = column;
      }
      if (column < *dash_column || (column == *dash_column && !dash)) {
        break;  // the next top-level key
      }
      if (column == *dash_column) {
        Item item;
        item.begin = line;
        const std::size_t content = skip_blanks(first + 1);
        key_column = k_none;
        if (content < line_end(line) && m_text[content] == '{') {
          read_flow_map(content, item);
          item.begin = line;
          item.end = next_line(item.map.end - 1);
          line = line_begin(item.map.end - 1);  // go on after the map's last line
        } else if (!at_line_end(content)) {
          key_column = content - line;
          read_block_key(content, item);
        }
        item.end = item.flow ? item.end : next_line(line);
        found.push_back(item);
        continue;
      }
      if (found.empty() || found.back().flow) {
        refuse(first, "text after an entry that is a {...} mapping");
      }
      Item& item = found.back();
      if (key_column == k_none) {
        key_column = column;  // `-` alone, keys on the lines below
      }
      if (column == key_column && m_text[first] != '-') {
        read_block_key(first, item);
      }
      item.end = next_line(line);
      // Comment lines seen so far sit inside the item, not after it.
    }
    for (Item& item : found) {
      // Only the comment lines before the item's last line are inside it.
      item.skip.erase(std::remove_if(item.skip.begin(), item.skip.end(),
                                     [&](const Span& s) { return s.begin >= item.end; }),
                      item.skip.end());
    }
    return found;
  }

  void read_block_key(std::size_t at, Item& item) const {
    const auto key = key_at(at);
    if (!key) {
      refuse(at, "a line that is not 'key: value'");
    }
    note_value(item, key->first, block_value(key->second), true);
  }

  std::string_view m_text;
  const std::string& m_path;
};

// `value` written the way `span` of `text` is: quoted alike, or plain.
std::string styled(std::string_view text, Span span, std::string_view value) {
  const char first = text[span.begin];
  if (first == '"' || first == '\'') {
    return fmt::format("{}{}{}", first, value, first);
  }
  return std::string(value);
}

// text[range] with the edits (sorted, inside the range) applied and the
// skipped spans left out.
std::string copy_with(std::string_view text, Span range, std::vector<Edit> edits,
                      const std::vector<Span>& skip) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.span.begin < b.span.begin; });
  std::string out;
  std::size_t at = range.begin;
  auto emit_until = [&](std::size_t end) {
    while (at < end) {
      const auto s = std::find_if(skip.begin(), skip.end(),
                                  [&](const Span& x) { return x.begin <= at && at < x.end; });
      if (s != skip.end()) {
        at = s->end;
        continue;
      }
      const auto next =
          std::find_if(skip.begin(), skip.end(), [&](const Span& x) { return x.begin > at; });
      const std::size_t stop = std::min(end, next == skip.end() ? end : next->begin);
      out.append(text.substr(at, stop - at));
      at = stop;
    }
  };
  for (const auto& edit : edits) {
    emit_until(edit.span.begin);
    out += edit.text;
    at = edit.span.end;
  }
  emit_until(range.end);
  return out;
}

// The manifest as the runner reads it: no BOM, LF line ends.
std::string normalised(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      out.push_back(text[i]);
    }
  }
  return out;
}

project::Kind kind_of(std::string_view kind) {
  return kind == "data" ? project::Kind::data : project::Kind::schema;
}

// Throws unless `edited` reads back as `original` with the split applied.
void verify(std::string_view original, std::string_view edited, const std::string& path,
            std::size_t index, std::string_view kind, const std::vector<NewEntry>& added,
            std::size_t line) {
  std::vector<project::Diagnostic> before_problems;
  std::vector<project::Diagnostic> after_problems;
  const auto before = project::parse_manifest(normalised(original), path, before_problems);
  const auto after = project::parse_manifest(normalised(edited), path, after_problems);
  std::vector<project::Entry> expected = before.revisions;
  bool same = !project::has_errors(before_problems) && !project::has_errors(after_problems) &&
              index < expected.size();
  if (same) {
    const project::Entry model = expected[index];
    expected[index].kind = kind_of(kind);
    std::size_t at = index + 1;
    for (const auto& entry : added) {
      project::Entry copy = model;
      copy.id = *project::RevisionId::parse(entry.id);
      copy.name = entry.name;
      copy.kind = kind_of(entry.kind);
      expected.insert(expected.begin() + static_cast<long>(at++), copy);
    }
    same = expected.size() == after.revisions.size();
    for (std::size_t i = 0; same && i < expected.size(); ++i) {
      const auto& a = expected[i];
      const auto& b = after.revisions[i];
      same = a.id.text() == b.id.text() && a.name == b.name && a.kind == b.kind &&
             a.transaction == b.transaction && a.irreversible == b.irreversible &&
             a.dialects == b.dialects && a.description == b.description;
    }
  }
  if (!same) {
    throw InputError(
        fmt::format("{}:{}: error: split cannot edit this manifest entry safely (the "
                    "edited manifest would not read back as intended); nothing was "
                    "changed. Split the revision by hand",
                    path, line));
  }
}

}  // namespace

std::string edit_manifest(std::string_view text, const std::string& display_path, std::size_t index,
                          std::string_view kind, const std::vector<NewEntry>& added) {
  const Scanner scan(text, display_path);
  const std::vector<Item> items = scan.items();
  if (index >= items.size()) {
    scan.refuse(0, fmt::format("the list has {} entries, not {}", items.size(), index + 1));
  }
  const Item& item = items[index];
  const std::size_t anchor = item.flow ? item.map.begin : item.begin;
  if (!item.id || !item.name || !item.kind) {
    scan.refuse(anchor, "its id, name or kind was not found");
  }
  const auto copy = [&](const NewEntry& entry) {
    const std::vector<Edit> edits{{*item.id, styled(text, *item.id, entry.id)},
                                  {*item.name, styled(text, *item.name, entry.name)},
                                  {*item.kind, styled(text, *item.kind, entry.kind)}};
    return item.flow ? copy_with(text, item.map, edits, {})
                     : copy_with(text, Span{item.begin, item.end}, edits, item.skip);
  };
  // The line ending of the entry's own line.
  const std::size_t entry_line_end = scan.line_end(anchor);
  const std::string eol =
      entry_line_end < text.size() && text[entry_line_end] == '\r' ? "\r\n" : "\n";
  std::string insertion;
  std::size_t insert_at = 0;
  if (item.in_flow_list) {
    // revisions: [{...}, {...}]: after the '}', on one line or one per line.
    insert_at = item.map.end;
    const std::size_t begin = scan.line_begin(item.map.begin);
    const bool own_line = scan.skip_blanks(begin) == item.map.begin;
    for (const auto& entry : added) {
      insertion +=
          own_line ? "," + eol + std::string(text.substr(begin, item.map.begin - begin)) : ", ";
      insertion += copy(entry);
    }
  } else {
    // A block list: whole lines after the entry's last line, written alike.
    insert_at = item.end;
    const bool no_last_newline = insert_at == text.size() && (text.empty() || text.back() != '\n');
    if (no_last_newline) {
      insertion += eol;
    }
    for (const auto& entry : added) {
      if (item.flow) {
        insertion +=
            std::string(text.substr(item.begin, item.map.begin - item.begin)) + copy(entry) + eol;
      } else {
        std::string lines = copy(entry);
        if (lines.empty() || lines.back() != '\n') {
          lines += eol;
        }
        insertion += lines;
      }
    }
    if (no_last_newline) {
      insertion.resize(insertion.size() - eol.size());  // the file still ends as it did
    }
  }
  std::string edited(text);
  edited.insert(insert_at, insertion);
  edited.replace(item.kind->begin, item.kind->end - item.kind->begin,
                 styled(text, *item.kind, kind));
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(anchor), '\n');
  verify(text, edited, display_path, index, kind, added, static_cast<std::size_t>(line));
  return edited;
}

}  // namespace runner::split
