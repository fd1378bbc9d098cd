#include "split/manifest_text.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "util/errors.hpp"

namespace runner::split {
namespace {

// Reads just enough YAML to find the entries: keys at line starts, block
// list items by their dash column, flow collections by their brackets,
// quoted scalars and comments. Anything else is refused, never guessed.
class Scanner {
 public:
  Scanner(std::string_view text, const std::string& path, std::string_view command)
      : m_text(text), m_path(path), m_command(command) {}

  [[noreturn]] void refuse(std::size_t at, std::string_view why) const {
    const auto line = 1 + std::count(m_text.begin(), m_text.begin() + static_cast<long>(at), '\n');
    std::string by_hand(m_command);
    if (!by_hand.empty()) {
      by_hand[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(by_hand[0])));
    }
    throw InputError(
        fmt::format("{}:{}: error: {} cannot edit this manifest entry safely ({}); "
                    "nothing was changed. {} the revision by hand",
                    m_path, line, m_command, why, by_hand));
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
  void note_value(EntryText& item, const std::string& key, Span value, bool block) const {
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
  void read_flow_map(std::size_t at, EntryText& item) const {
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
  std::vector<EntryText> items() const {
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

  std::vector<EntryText> flow_items(std::size_t open) const {
    std::vector<EntryText> found;
    std::size_t i = skip_flow_space(open + 1);
    while (i < m_text.size() && m_text[i] != ']') {
      if (m_text[i] != '{') {
        refuse(i, "an entry of the list that is not a {...} mapping");
      }
      EntryText item;
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

  std::vector<EntryText> block_items(std::size_t from) const {
    std::vector<EntryText> found;
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
        EntryText item;
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
      EntryText& item = found.back();
      if (key_column == k_none) {
        key_column = column;  // `-` alone, keys on the lines below
      }
      if (column == key_column && m_text[first] != '-') {
        read_block_key(first, item);
      }
      item.end = next_line(line);
      // Comment lines seen so far sit inside the item, not after it.
    }
    for (EntryText& item : found) {
      // Only the comment lines before the item's last line are inside it.
      item.skip.erase(std::remove_if(item.skip.begin(), item.skip.end(),
                                     [&](const Span& s) { return s.begin >= item.end; }),
                      item.skip.end());
    }
    return found;
  }

  void read_block_key(std::size_t at, EntryText& item) const {
    const auto key = key_at(at);
    if (!key) {
      refuse(at, "a line that is not 'key: value'");
    }
    note_value(item, key->first, block_value(key->second), true);
  }

  std::string_view m_text;
  const std::string& m_path;
  std::string_view m_command;
};

}  // namespace

std::string scalar_value(std::string_view text, Span span) {
  const std::string_view value = text.substr(span.begin, span.end - span.begin);
  if (value.size() < 2 || (value.front() != '"' && value.front() != '\'') ||
      value.back() != value.front()) {
    return std::string(value);
  }
  const char quote = value.front();
  std::string out;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if ((quote == '\'' && value[i] == '\'') || (quote == '"' && value[i] == '\\')) {
      ++i;  // '' in single quotes, \x in double quotes: the next character
    }
    if (i + 1 < value.size()) {
      out.push_back(value[i]);
    }
  }
  return out;
}

void refuse_edit(std::string_view text, const std::string& display_path, std::size_t at,
                 std::string_view why, std::string_view command) {
  Scanner(text, display_path, command).refuse(at, why);
}

std::vector<EntryText> find_entries(std::string_view text, const std::string& display_path,
                                    std::string_view command) {
  return Scanner(text, display_path, command).items();
}

}  // namespace runner::split
