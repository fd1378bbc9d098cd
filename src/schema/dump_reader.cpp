// Reads dump text (dump.cpp) back into records: see dump_reader.hpp.
#include "schema/dump_reader.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::schema::dump_text {

std::string strip_end(std::string_view text, char c) {
  std::string out(util::trim(text));
  while (!out.empty() && out.back() == c) {
    out.pop_back();
  }
  return std::string(util::trim(out));
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "unique constraint", "index", ... for messages.
std::string constraint_kind(const Constraint& c) {
  const std::string& body = c.body;
  if (starts_with(body, "PRIMARY KEY")) {
    return "primary key";
  }
  if (starts_with(body, "UNIQUE")) {
    return "unique constraint";
  }
  if (starts_with(body, "CHECK")) {
    return "check constraint";
  }
  if (starts_with(body, "FOREIGN KEY")) {
    return "foreign key";
  }
  if (starts_with(body, "EXCLUDE")) {
    return "exclusion constraint";
  }
  if (starts_with(body, "KEY") || starts_with(body, "FULLTEXT") || starts_with(body, "SPATIAL")) {
    return "index";
  }
  return "constraint";
}

namespace {

constexpr std::string_view k_header = "-- Name: ";
constexpr std::string_view k_escaped_header = "-- Name (escaped): ";
constexpr std::string_view k_type = "; Type: ";

bool control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// A name of an escaped header read back (header()).
std::string unescape(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '\\' || i + 1 >= name.size()) {
      out.push_back(name[i]);
      continue;
    }
    const char c = name[++i];
    if (c == 'n' || c == 'r' || c == 't') {
      out.push_back(c == 'n' ? '\n' : c == 'r' ? '\r' : '\t');
    } else if (c == 'x' && i + 2 < name.size() &&
               std::isxdigit(static_cast<unsigned char>(name[i + 1])) != 0 &&
               std::isxdigit(static_cast<unsigned char>(name[i + 2])) != 0) {
      out.push_back(static_cast<char>(std::stoi(std::string(name.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);  // a backslash
    }
  }
  return out;
}

// The first word of `line`, a quoted name read to its closing quote.
std::string first_name(std::string_view line) {
  if (line.empty()) {
    return "";
  }
  if (line[0] == '"' || line[0] == '`') {
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == line[0]) {
        if (i + 1 < line.size() && line[i + 1] == line[0]) {
          ++i;  // a doubled quote
          continue;
        }
        return std::string(line.substr(0, i + 1));
      }
    }
    return std::string(line);
  }
  return std::string(line.substr(0, line.find(' ')));
}

// Constraint and index lines inside a table, by how they start; a column
// whose name is one of these words is quoted by the dump.
constexpr std::string_view k_constraint_starts[] = {
    "CONSTRAINT ", "PRIMARY KEY", "UNIQUE",        "CHECK",        "FOREIGN KEY",
    "EXCLUDE",     "KEY ",        "FULLTEXT KEY ", "SPATIAL KEY ", "INDEX "};

bool is_constraint_line(std::string_view line) {
  return std::any_of(std::begin(k_constraint_starts), std::end(k_constraint_starts),
                     [&](std::string_view start) { return starts_with(line, start); });
}

Constraint constraint_of(const std::string& line) {
  Constraint c{line, "", line, line};
  for (std::string_view named : {"CONSTRAINT ", "KEY ", "FULLTEXT KEY ", "SPATIAL KEY "}) {
    if (starts_with(line, named)) {
      c.name = first_name(std::string_view(line).substr(named.size()));
      if (named == "CONSTRAINT ") {
        c.body =
            std::string(util::trim(std::string_view(line).substr(named.size() + c.name.size())));
      }
    }
  }
  if (!c.name.empty()) {
    // MySQL names indexes (unique ones and the primary key included) apart
    // from foreign keys and checks: a key and a foreign key may share a name.
    const std::string kind = constraint_kind(c);
    const bool index = kind == "index" || kind == "unique constraint" || kind == "primary key";
    c.key = (index ? "index " : "constraint ") + c.name;
  }
  return c;
}

// The statements of lines[i...], each ending in ';' at the end of a line.
void read_statements(Record& r, const std::vector<std::string>& lines, std::size_t i) {
  std::string statement;
  for (; i < lines.size(); ++i) {
    statement += lines[i] + " ";
    if (!util::trim(lines[i]).empty() && util::trim(lines[i]).back() == ';') {
      r.statements.push_back(strip_end(normalise_sql(statement), ';'));
      statement.clear();
    }
  }
}

// The foreign keys the dump adds after the tables (they reference each
// other in a circle) read back into their tables, as if the CREATE TABLE
// held them: where the dump puts a key is not part of the schema. A record
// holding anything else stays as it is, compared as text.
void fold_foreign_keys(std::map<std::string, Record>& records) {
  for (auto it = records.begin(); it != records.end();) {
    const auto table = records.find("table " + it->second.name);
    const std::string prefix = "ALTER TABLE " + it->second.name + " ADD ";
    const auto& statements = it->second.statements;
    if (it->second.kind != "foreign keys" || table == records.end() || statements.empty() ||
        !std::all_of(statements.begin(), statements.end(),
                     [&](const auto& s) { return starts_with(s, prefix); })) {
      ++it;
      continue;
    }
    for (const auto& statement : statements) {
      table->second.constraints.push_back(constraint_of(statement.substr(prefix.size())));
    }
    it = records.erase(it);
  }
}

void read_table(Record& r, const std::vector<std::string>& lines) {
  r.head = normalise_sql(lines.front());
  std::size_t i = 1;
  if (!r.head.empty() && r.head.back() == '(') {
    for (; i < lines.size() && !starts_with(lines[i], ")"); ++i) {
      const std::string line = strip_end(lines[i], ',');
      if (is_constraint_line(line)) {
        r.constraints.push_back(constraint_of(line));
      } else {
        r.columns.emplace_back(first_name(line), line);
      }
    }
    std::string closing;
    for (; i < lines.size(); ++i) {
      closing += lines[i] + " ";
      const std::string_view trimmed = util::trim(lines[i]);
      if (!trimmed.empty() && trimmed.back() == ';') {
        ++i;
        break;
      }
    }
    r.options =
        strip_end(normalise_sql(closing.substr(std::min<std::size_t>(1, closing.size()))), ';');
  } else {
    r.head = strip_end(r.head, ';');
  }
  read_statements(r, lines, i);
}

// The length of the header's prefix, k_header or k_escaped_header; 0 when
// `line` is no header.
std::size_t header_prefix(std::string_view line) {
  if (line.find(k_type) == std::string_view::npos) {
    return 0;
  }
  return starts_with(line, k_header)           ? k_header.size()
         : starts_with(line, k_escaped_header) ? k_escaped_header.size()
                                               : 0;
}

// Where a line of dump text leaves off: inside a quote or comment that goes
// on to the next line, or not. A header line is only read as one outside
// them, so that a function body holding a line like a header stays whole.
class QuoteState {
 public:
  // `mysql`: strings take backslash escapes and # starts a comment.
  explicit QuoteState(bool mysql) : m_backslash(mysql) {}

  bool inside() const { return !m_close.empty(); }

  void scan(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size()) {
      if (inside()) {
        if (m_backslash && m_close == "'" && line[i] == '\\') {
          i += 2;
          continue;
        }
        if (line.substr(i, m_close.size()) == m_close) {
          i += m_close.size();
          m_close.clear();
        } else {
          ++i;
        }
        continue;
      }
      const char c = line[i];
      if (line.substr(i, 2) == "--" || (m_backslash && c == '#')) {
        return;  // the rest of the line is a comment (# on MySQL)
      }
      if (line.substr(i, 2) == "/*") {
        m_close = "*/";
        i += 2;
      } else if (c == '\'' || c == '"' || c == '`') {
        m_close = std::string(1, c);
        ++i;
      } else if (c == '$') {
        std::size_t j = i + 1;
        while (j < line.size() &&
               (std::isalnum(static_cast<unsigned char>(line[j])) != 0 || line[j] == '_')) {
          ++j;
        }
        if (j < line.size() && line[j] == '$' &&
            (i == 0 || !std::isalnum(static_cast<unsigned char>(line[i - 1])))) {
          m_close = std::string(line.substr(i, j - i + 1));
          i = j + 1;
        } else {
          i = j;
        }
      } else {
        ++i;
      }
    }
  }

 private:
  bool m_backslash;
  std::string m_close;  // what ends the quote or comment we are in; empty outside
};

}  // namespace

std::string header(std::string_view name, std::string_view kind) {
  if (std::none_of(name.begin(), name.end(), control)) {
    return fmt::format("{}{}{}{}", k_header, name, k_type, kind);
  }
  std::string escaped;
  for (const char c : name) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n' || c == '\r' || c == '\t') {
      escaped += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
    } else if (control(c)) {
      escaped += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      escaped.push_back(c);
    }
  }
  return fmt::format("{}{}{}{}", k_escaped_header, escaped, k_type, kind);
}

// Reads text written by dump(): records under their header lines.
std::map<std::string, Record> parse(const std::string& text) {
  std::map<std::string, Record> records;
  std::vector<std::string> block;
  std::string header;
  const auto flush = [&] {
    while (!block.empty() && util::trim(block.back()).empty()) {
      block.pop_back();
    }
    if (header.empty() || block.empty()) {
      return;
    }
    const std::size_t prefix = header_prefix(header);
    const std::string_view h = std::string_view(header).substr(prefix);
    const std::size_t type = h.rfind(k_type);
    Record r;
    r.name = prefix == k_escaped_header.size() ? unescape(h.substr(0, type))
                                               : std::string(h.substr(0, type));
    r.kind = util::to_lower(h.substr(type + k_type.size()));
    if (r.kind == "table") {
      read_table(r, block);
    } else {
      if (r.kind == "foreign keys") {
        read_statements(r, block, 0);
      }
      std::string joined;
      for (const auto& line : block) {
        joined.append(line).push_back('\n');
      }
      r.text = strip_end(normalise_sql(joined), ';');
    }
    records.emplace(r.kind + " " + r.name, std::move(r));
  };
  // MySQL strings take backslash escapes; the first line names the dialect.
  QuoteState quotes(text.substr(0, text.find('\n')).find(" for mysql") != std::string::npos);
  bool after_blank = true;
  for (const auto& raw : util::split(text, '\n')) {
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (after_blank && !quotes.inside() && header_prefix(line) != 0) {
      flush();
      block.clear();
      header = line;
    } else {
      block.push_back(line);
      quotes.scan(line);
    }
    after_blank = util::trim(line).empty();
  }
  flush();
  fold_foreign_keys(records);
  return records;
}

}  // namespace runner::schema::dump_text
