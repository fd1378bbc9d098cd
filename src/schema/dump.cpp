// The deterministic DDL text of a schema (schema/<dialect>.sql): one record
// per object, each under a header line the diff reads back, ordered so
// that the text recreates the schema when run.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "schema/dump_reader.hpp"
#include "schema/schema.hpp"
#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::schema {
namespace {

// The order of kinds when nothing else decides: what is usually used by
// others first.
constexpr const char* k_kind_order[] = {"schema",
                                        "extension",
                                        "foreign data wrapper",
                                        "server",
                                        "user mapping",
                                        "collation",
                                        "text search dictionary",
                                        "text search configuration",
                                        "type",
                                        "domain",
                                        "sequence",
                                        "function",
                                        "procedure",
                                        "aggregate",
                                        "cast",
                                        "operator",
                                        "table",
                                        "foreign table",
                                        "virtual table",
                                        "index",
                                        "view",
                                        "trigger",
                                        "policy",
                                        "rule",
                                        "statistics",
                                        "publication",
                                        "event",
                                        "privileges",
                                        "event trigger"};

// Kinds whose name other objects mention, and so may need first.
bool is_provider(const std::string& kind) {
  return kind == "table" || kind == "view" || kind == "type" || kind == "domain" ||
         kind == "sequence" || kind == "function" || kind == "procedure" || kind == "aggregate" ||
         kind == "collation" || kind == "foreign table" || kind == "server" ||
         kind == "foreign data wrapper" || kind == "text search dictionary" ||
         kind == "text search configuration";
}

std::string without_final_semicolons(std::string_view text) {
  std::string_view out = util::trim(text);
  while (!out.empty() && out.back() == ';') {
    out = util::trim(out.substr(0, out.size() - 1));
  }
  return std::string(out);
}

}  // namespace

int kind_rank(const std::string& kind) {
  for (int i = 0; i < static_cast<int>(std::size(k_kind_order)); ++i) {
    if (kind == k_kind_order[i]) {
      return i;
    }
  }
  return static_cast<int>(std::size(k_kind_order));
}

std::string column_definition(const Column& c, const std::string& dialect) {
  std::string line = c.name + " " + c.type;
  const auto add = [&line](const std::string& part) {
    if (!part.empty()) {
      line += " " + part;
    }
  };
  if (dialect == "mysql") {
    add(c.charset.empty() ? "" : "CHARACTER SET " + c.charset);
    add(c.collation.empty() ? "" : "COLLATE " + c.collation);
    add(c.generated.empty()
            ? ""
            : fmt::format("GENERATED ALWAYS AS ({}) {}", c.generated, c.generated_storage));
    add(c.not_null ? "NOT NULL" : "");
    add(c.default_value.empty() ? "" : "DEFAULT " + c.default_value);
    add(c.on_update.empty() ? "" : "ON UPDATE " + c.on_update);
    add(c.auto_increment ? "AUTO_INCREMENT" : "");
    add(c.invisible ? "INVISIBLE" : "");
    add(c.comment.empty() ? "" : "COMMENT " + literal(c.comment, dialect));
    return line;
  }
  add(c.collation.empty() ? "" : "COLLATE " + c.collation);
  add(c.identity.empty()
          ? ""
          : fmt::format("GENERATED {} AS IDENTITY{}", c.identity,
                        c.identity_options.empty() ? "" : " (" + c.identity_options + ")"));
  add(c.not_null ? "NOT NULL" : "");
  add(c.not_null_conflict.empty() ? "" : "ON CONFLICT " + c.not_null_conflict);
  add(c.default_value.empty() ? "" : "DEFAULT " + c.default_value);
  add(c.generated.empty()
          ? ""
          : fmt::format("GENERATED ALWAYS AS ({}){}", c.generated,
                        c.generated_storage.empty() ? "" : " " + c.generated_storage));
  add(c.auto_increment ? "PRIMARY KEY AUTOINCREMENT" : "");  // SQLite
  return line;
}

std::string create_text(const Table& table, const std::string& dialect) {
  std::vector<std::string> options = table.options;
  if (dialect == "mysql" && !table.comment.empty()) {
    // A table option: before the partitioning, which comes last.
    const auto partition = std::find_if(options.begin(), options.end(), [](const auto& o) {
      return o.rfind("PARTITION BY", 0) == 0;
    });
    options.insert(partition, "COMMENT=" + literal(table.comment, dialect));
  }
  std::string joined;
  for (const auto& option : options) {
    joined += (joined.empty() ? "" : dialect == "sqlite" ? ", " : " ") + normalise_sql(option);
  }
  const std::string persistence = table.persistence.empty() ? "" : table.persistence + " ";
  std::string out;
  if (!table.partition_of.empty()) {
    out = fmt::format("CREATE {}TABLE {} PARTITION OF {}{};\n", persistence, table.name,
                      normalise_sql(table.partition_of), joined.empty() ? "" : " " + joined);
  } else {
    std::vector<std::string> lines;
    for (const auto& column : table.columns) {
      lines.push_back(normalise_sql(column_definition(column, dialect)));
    }
    std::vector<std::string> constraints;
    for (const auto& constraint : table.constraints) {
      constraints.push_back(normalise_sql(constraint));
    }
    std::sort(constraints.begin(), constraints.end());
    lines.insert(lines.end(), constraints.begin(), constraints.end());
    out = fmt::format("CREATE {}TABLE {} (\n", persistence, table.name);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += fmt::format("  {}{}\n", lines[i], i + 1 < lines.size() ? "," : "");
    }
    out += fmt::format("){};\n", joined.empty() ? "" : " " + joined);
  }
  for (const auto& statement : table.statements) {
    out += normalise_sql(without_final_semicolons(statement)) + ";\n";
  }
  if (dialect == "postgres") {
    if (!table.comment.empty()) {
      out +=
          fmt::format("COMMENT ON TABLE {} IS {};\n", table.name, literal(table.comment, dialect));
    }
    for (const auto& column : table.columns) {
      if (!column.comment.empty()) {
        out += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", table.name, column.name,
                           literal(column.comment, dialect));
      }
    }
  }
  return out;
}

std::string create_text(const Object& object, const std::string& dialect) {
  std::string out = without_final_semicolons(object.definition);
  // A definition kept as written may end in a comment, which would hide the ';'.
  const std::size_t last_line = out.rfind('\n');
  const bool comment =
      out.find("--", last_line == std::string::npos ? 0 : last_line) != std::string::npos;
  out += comment ? "\n;\n" : ";\n";
  for (const auto& statement : object.statements) {
    out += normalise_sql(without_final_semicolons(statement)) + ";\n";
  }
  if (!object.comment.empty() && !object.comment_target.empty()) {
    out += fmt::format("COMMENT ON {} IS {};\n", object.comment_target,
                       literal(object.comment, dialect));
  }
  return out;
}

namespace {

struct Record {
  std::string kind;
  std::string name;
  std::string text;
  int rank = 0;
  std::vector<std::pair<std::string, std::string>> uses;  // Object::uses
  const Table* table = nullptr;                           // a table's model
};

// The names of the quoted identifiers of `text` that identifier_words does
// not see whole, lower case: those holding a space, '.', ';' or any other
// character a word does not ("a.b" is not the words a and b).
std::set<std::string> quoted_names(const std::string& text, const std::string& dialect) {
  std::set<std::string> out;
  for (const auto& token : tokenize(text, dialect)) {
    if (token.kind != Token::Kind::quoted) {
      continue;
    }
    const std::string name = util::to_lower(unquote(token));
    if (!name.empty() && util::identifier_words(name).count(name) == 0) {
      out.insert(name);
    }
  }
  return out;
}

// Records in an order that runs: an object comes after the objects whose
// name its text mentions (a quoted name whole, "a.b" and `x y` too) and
// those it says it uses, and otherwise by kind and name. Where mentions go
// round in a circle, kind and name decide (PostgreSQL function bodies are
// not checked when the dump runs, see dump()). A mention that is not a use
// (a column named like a view) only moves a record later, which is safe.
std::vector<const Record*> ordered(const std::vector<Record>& records, const std::string& dialect) {
  std::multimap<std::string, std::size_t> providers;  // bare name -> record
  bool odd_names = false;  // a provider's name is no word: its mentions are quoted names
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (is_provider(records[i].kind)) {
      const std::string name = bare_name(records[i].name);
      providers.emplace(name, i);
      odd_names = odd_names || util::identifier_words(name).count(name) == 0;
    }
  }
  std::map<std::pair<std::string, std::string>, std::size_t> by_identity;
  for (std::size_t i = 0; i < records.size(); ++i) {
    by_identity.emplace(std::pair{records[i].kind, records[i].name}, i);
  }
  std::vector<std::set<std::size_t>> needs(records.size());
  std::vector<std::vector<std::size_t>> needed_by(records.size());
  const auto need = [&](std::size_t user, std::size_t used) {
    if (user != used && needs[user].insert(used).second) {
      needed_by[used].push_back(user);
    }
  };
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string own = bare_name(records[i].name);
    std::set<std::string> words = util::identifier_words(records[i].text);
    if (odd_names) {
      words.merge(quoted_names(records[i].text, dialect));
    }
    for (const auto& word : words) {
      if (word == own) {
        continue;  // itself, or an overload of the same name
      }
      const auto [from, to] = providers.equal_range(word);
      for (auto it = from; it != to; ++it) {
        need(i, it->second);
      }
    }
    for (const auto& used : records[i].uses) {
      if (const auto it = by_identity.find(used); it != by_identity.end()) {
        need(i, it->second);
      }
    }
  }
  const auto before = [&](std::size_t a, std::size_t b) {
    return std::tie(records[a].rank, records[a].kind, records[a].name) <
           std::tie(records[b].rank, records[b].kind, records[b].name);
  };
  std::set<std::size_t, decltype(before)> ready(before);
  std::set<std::size_t, decltype(before)> waiting(before);
  for (std::size_t i = 0; i < records.size(); ++i) {
    (needs[i].empty() ? ready : waiting).insert(i);
  }
  std::vector<const Record*> out;
  while (!ready.empty() || !waiting.empty()) {
    std::size_t next = 0;
    if (!ready.empty()) {
      next = *ready.begin();
      ready.erase(ready.begin());
    } else {  // a circle: the first by kind and name goes first
      next = *waiting.begin();
      waiting.erase(waiting.begin());
    }
    out.push_back(&records[next]);
    for (std::size_t user : needed_by[next]) {
      if (needs[user].erase(next) > 0 && needs[user].empty() && waiting.erase(user) > 0) {
        ready.insert(user);
      }
    }
  }
  return out;
}

// The parts of the name that starts at tokens[at], quotes taken off:
// "app"."T" -> {app, T}; on PostgreSQL an unquoted part folds to lower
// case, as the server reads it.
std::vector<std::string> name_parts(const std::vector<Token>& tokens, std::size_t at,
                                    const std::string& dialect) {
  std::vector<std::string> parts;
  for (; at < tokens.size(); at += 2) {
    const Token& t = tokens[at];
    if (t.kind == Token::Kind::quoted) {
      parts.push_back(unquote(t));
    } else if (t.kind == Token::Kind::word) {
      parts.push_back(dialect == "postgres" ? util::to_lower(t.text) : t.text);
    } else {
      break;
    }
    if (at + 1 >= tokens.size() || tokens[at + 1].text != ".") {
      break;
    }
  }
  return parts;
}

// The names in the parentheses at tokens[open], as name_parts() reads
// each; empty when tokens[open] is no '('.
std::set<std::string> column_names(const std::vector<Token>& tokens, std::size_t open,
                                   const std::string& dialect) {
  std::set<std::string> out;
  if (open >= tokens.size() || tokens[open].text != "(") {
    return out;
  }
  for (std::size_t i = open + 1; i < tokens.size() && tokens[i].text != ")"; ++i) {
    const auto parts = name_parts(tokens, i, dialect);
    if (!parts.empty()) {
      out.insert(parts.back());
    }
  }
  return out;
}

struct Reference {
  std::vector<std::string> table;  // as name_parts(); empty: no foreign key
  std::set<std::string> columns;   // as column_names()
};

// The table and columns a foreign key line names after REFERENCES.
Reference referenced(const std::string& constraint, const std::string& dialect) {
  const std::vector<Token> tokens = tokenize(constraint, dialect);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].is("references")) {
      Reference out{name_parts(tokens, i + 1, dialect), {}};
      out.columns = column_names(tokens, i + 1 + 2 * out.table.size() - 1, dialect);
      return out;
    }
  }
  return {};
}

// Whether `table`'s own lines hold a primary key or unique constraint on
// exactly `columns`. PostgreSQL: a foreign key may rest instead on a unique
// index, which the dump makes after every table.
bool keyed(const Table& table, const std::set<std::string>& columns, const std::string& dialect) {
  for (const auto& constraint : table.constraints) {
    const std::vector<Token> tokens = tokenize(constraint, dialect);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const bool key = tokens[i].is("unique") || (tokens[i].is("primary") &&
                                                  i + 1 < tokens.size() && tokens[i + 1].is("key"));
      if (!key) {
        continue;
      }
      std::size_t open = i + 1;
      while (open < tokens.size() && tokens[open].kind == Token::Kind::word) {
        ++open;  // KEY, NULLS NOT DISTINCT
      }
      if (column_names(tokens, open, dialect) == columns) {
        return true;
      }
      break;
    }
  }
  return false;
}

// Foreign keys that cannot be made with their table, because the table
// they reference comes later in `order` (the tables reference each other
// in a circle) or, on PostgreSQL, the key they rest on is a unique index,
// made after the tables: taken out of their table's text, which `texts` gets for
// the records that lose one, and returned as ALTER TABLE ... ADD statements
// by table, to run once every table is made. A key to its own table or to
// one that is not in the schema stays. SQLite checks foreign
// keys only when rows change (and has no ADD CONSTRAINT): nothing moves.
std::vector<std::pair<const Record*, std::string>> deferred_foreign_keys(
    const std::vector<const Record*>& order, const std::string& dialect,
    std::map<const Record*, std::string>& texts) {
  std::vector<std::pair<const Record*, std::string>> out;
  if (dialect == "sqlite") {
    return out;
  }
  std::set<std::vector<std::string>> later;
  std::map<std::vector<std::string>, const Table*> tables;
  for (const Record* record : order) {
    if (record->table != nullptr) {
      const auto name = name_parts(tokenize(record->name, dialect), 0, dialect);
      later.insert(name);
      tables.emplace(name, record->table);
    }
  }
  for (const Record* record : order) {
    if (record->table == nullptr) {
      continue;
    }
    later.erase(name_parts(tokenize(record->name, dialect), 0, dialect));
    Table kept = *record->table;
    kept.constraints.clear();
    std::string statements;
    for (const auto& constraint : record->table->constraints) {
      const Reference ref = referenced(constraint, dialect);
      const auto target = tables.find(ref.table);
      if (later.count(ref.table) > 0 || (dialect == "postgres" && target != tables.end() &&
                                         !keyed(*target->second, ref.columns, dialect))) {
        statements +=
            fmt::format("ALTER TABLE {} ADD {};\n", record->name, normalise_sql(constraint));
      } else {
        kept.constraints.push_back(constraint);
      }
    }
    if (!statements.empty()) {
      texts[record] = create_text(kept, dialect);
      out.emplace_back(record, statements);
    }
  }
  return out;
}

std::string upper(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

}  // namespace

std::string dump(const Schema& schema, const std::string& dialect) {
  std::vector<Record> records;
  bool functions = false;
  for (const auto& table : schema.tables) {
    records.push_back(
        {"table", table.name, create_text(table, dialect), kind_rank("table"), {}, &table});
  }
  for (const auto& object : schema.objects) {
    records.push_back({object.kind, object.name, create_text(object, dialect),
                       kind_rank(object.kind), object.uses});
    functions = functions || object.kind == "function" || object.kind == "procedure";
  }
  std::string out = fmt::format(
      "-- Schema snapshot for {}, written by `runner schema dump`: the schema after the last\n"
      "-- revision. `runner check` compares the live database with it.\n",
      dialect);
  if (dialect == "postgres" && functions) {
    // As pg_dump does: a function body may use what is created after it.
    out += "SET check_function_bodies = false;\n";
  }
  const std::vector<const Record*> order = ordered(records, dialect);
  std::map<const Record*, std::string> texts;
  const auto deferred = deferred_foreign_keys(order, dialect, texts);
  for (const Record* record : order) {
    const auto text = texts.find(record);
    out += fmt::format("\n{}\n{}", dump_text::header(record->name, upper(record->kind)),
                       text == texts.end() ? record->text : text->second);
  }
  for (const auto& [record, statements] : deferred) {
    out += fmt::format("\n{}\n{}", dump_text::header(record->name, "FOREIGN KEYS"), statements);
  }
  return out;
}

}  // namespace runner::schema
