#include "project/config.hpp"

#include <algorithm>
#include <set>

#include <fmt/core.h>

#include <toml++/toml.h>

#include "project/manifest.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"
#include "util/time.hpp"
#include "util/url.hpp"

namespace runner::project {
namespace {

[[noreturn]] void fail(const std::string& path, const toml::source_region& where,
                       const std::string& message) {
  throw InputError(fmt::format("{}:{}:{}: error: {}", path, where.begin.line, where.begin.column,
                               message));
}

ConfigString string_value(const std::string& path, const toml::node& node, const std::string& key,
                          const std::string& table) {
  const auto* value = node.as_string();
  if (value == nullptr) {
    fail(path, node.source(), fmt::format("'{}' must be a string", key));
  }
  return ConfigString{value->get(), path, table, static_cast<int>(node.source().begin.line),
                      static_cast<int>(node.source().begin.column)};
}

ConfigSeconds seconds_value(const std::string& path, const toml::node& node, const std::string& key,
                            const std::string& table) {
  double seconds = 0;
  if (const auto* i = node.as_integer()) {
    seconds = static_cast<double>(i->get());
  } else if (const auto* f = node.as_floating_point()) {
    seconds = f->get();
  } else {
    fail(path, node.source(), fmt::format("'{}' must be a number of seconds", key));
  }
  if (!util::valid_wait_seconds(seconds)) {  // TOML allows nan and inf
    fail(path, node.source(),
         fmt::format("'{}' must be a number of seconds between 0 and {}", key,
                     util::k_max_wait_seconds));
  }
  return ConfigSeconds{seconds, path, table, static_cast<int>(node.source().begin.line),
                       static_cast<int>(node.source().begin.column)};
}

std::vector<ConfigString> string_list(const std::string& path, const toml::node& node,
                                      const std::string& key, const std::string& table) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    fail(path, node.source(), fmt::format("'{}' must be a list of strings", key));
  }
  std::vector<ConfigString> values;
  for (const auto& item : *array) {
    values.push_back(string_value(path, item, key, table));
  }
  return values;
}

FleetSettings parse_fleet(const std::string& path, const toml::node& node,
                          const std::string& table_name) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    fail(path, node.source(), "'fleet' must be a table ([fleet])");
  }
  FleetSettings fleet;
  for (const auto& [key_node, value] : *table) {
    const std::string key(key_node.str());
    if (key == "targets") {
      fleet.targets = string_list(path, value, "fleet.targets", table_name);
    } else if (key == "targets_query") {
      fleet.targets_query = string_value(path, value, "fleet.targets_query", table_name);
    } else if (key == "parallel") {
      const auto* n = value.as_integer();
      if (n == nullptr || n->get() < 1 || n->get() > 1024) {
        fail(path, value.source(), "'fleet.parallel' must be a whole number from 1 to 1024");
      }
      fleet.parallel = static_cast<int>(n->get());
    } else {
      fail(path, key_node.source(),
           fmt::format("unknown key '{}' in [fleet] (expected targets, targets_query, parallel)",
                       key));
    }
  }
  if (!fleet.targets.empty() && fleet.targets_query) {
    fail(path, node.source(),
         "[fleet] sets both 'targets' and 'targets_query': choose one list of databases");
  }
  return fleet;
}

Settings parse_settings(const std::string& path, const toml::table& table, bool allow_env,
                        const std::string& table_name) {
  Settings settings;
  for (const auto& [key_node, node] : table) {
    const std::string key(key_node.str());
    if (key == "database") {
      settings.database = string_value(path, node, key, table_name);
    } else if (key == "manifest") {
      settings.manifest = string_value(path, node, key, table_name);
    } else if (key == "table") {
      settings.table = string_value(path, node, key, table_name);
    } else if (key == "templates") {
      settings.templates = string_value(path, node, key, table_name);
    } else if (key == "lock_timeout") {
      settings.lock_timeout = seconds_value(path, node, key, table_name);
    } else if (key == "wait") {
      settings.wait = seconds_value(path, node, key, table_name);
    } else if (key == "dump_schema") {
      const auto* b = node.as_boolean();
      if (b == nullptr) {
        fail(path, node.source(), "'dump_schema' must be true or false");
      }
      settings.dump_schema = b->get();
    } else if (key == "doc") {
      settings.doc = string_value(path, node, key, table_name);
    } else if (key == "ids") {
      settings.ids = string_value(path, node, key, table_name).text;
      if (*settings.ids != "sequential" && *settings.ids != "timestamp") {
        fail(path, node.source(), "'ids' must be \"sequential\" or \"timestamp\"");
      }
    } else if (key == "lock") {
      const std::string mode = string_value(path, node, key, table_name).text;
      if (mode != "advisory" && mode != "table") {
        fail(path, node.source(), "'lock' must be \"advisory\" or \"table\"");
      }
      settings.lock = mode == "table" ? LockMode::table : LockMode::advisory;
    } else if (key == "sources") {
      settings.sources = string_list(path, node, key, table_name);
    } else if (key == "fleet") {
      settings.fleet = parse_fleet(path, node, table_name);
    } else if (key == "env" && allow_env) {
      // handled by the caller
    } else {
      fail(path, key_node.source(),
           fmt::format("unknown key '{}' (expected database, manifest, table, lock_timeout, "
                       "wait, templates, dump_schema, ids, doc, lock, sources, [fleet]{})",
                       key, allow_env ? ", [env.NAME]" : ""));
    }
  }
  return settings;
}

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

template <typename T>
void override_with(std::optional<T>& base, const std::optional<T>& over) {
  if (over) {
    base = over;
  }
}

}  // namespace

std::string ConfigSeconds::where(std::string_view key) const {
  return fmt::format("{}{} at {}:{}:{}", key,
                     table.empty() ? "" : fmt::format(" in [env.{}]", table), file, line, column);
}

Settings Config::resolve(const std::string& env_name) const {
  Settings settings = top;
  if (env_name.empty()) {
    return settings;
  }
  const auto it = envs.find(env_name);
  if (it == envs.end()) {
    std::string known;
    for (const auto& [name, unused] : envs) {
      known += (known.empty() ? "" : ", ") + name;
    }
    throw InputError(fmt::format("{}: no [env.{}] table (defined: {})", path.string(), env_name,
                                 known.empty() ? "none" : known));
  }
  const Settings& env = it->second;
  override_with(settings.database, env.database);
  override_with(settings.manifest, env.manifest);
  override_with(settings.table, env.table);
  override_with(settings.lock_timeout, env.lock_timeout);
  override_with(settings.wait, env.wait);
  override_with(settings.templates, env.templates);
  override_with(settings.dump_schema, env.dump_schema);
  override_with(settings.ids, env.ids);
  override_with(settings.doc, env.doc);
  override_with(settings.lock, env.lock);
  override_with(settings.sources, env.sources);
  override_with(settings.fleet, env.fleet);
  return settings;
}

Config parse_config(std::string_view text, const std::string& display_path) {
  toml::table root;
  try {
    root = toml::parse(text, display_path);
  } catch (const toml::parse_error& e) {
    fail(display_path, e.source(), std::string(e.description()));
  }
  Config config;
  config.path = display_path;
  config.top = parse_settings(display_path, root, true, "");
  if (const toml::node* env = root.get("env")) {
    const auto* envs = env->as_table();
    if (envs == nullptr) {
      fail(display_path, env->source(), "'env' must hold [env.NAME] tables");
    }
    for (const auto& [name, node] : *envs) {
      const auto* table = node.as_table();
      if (table == nullptr) {
        fail(display_path, node.source(), fmt::format("'env.{}' must be a table", name.str()));
      }
      config.envs.emplace(std::string(name.str()),
                          parse_settings(display_path, *table, false, std::string(name.str())));
    }
  }
  return config;
}

Config load_config(const std::filesystem::path& path) {
  Config config = parse_config(util::read_text_file(path), path.string());
  config.path = path;
  return config;
}

namespace {

InputError expand_problem(const ConfigString& value, std::size_t at, const std::string& message) {
  // The line of the `$`: a multi-line string's later lines count too.
  const std::string_view text = value.text;
  const auto newlines = std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  const int line = value.line + static_cast<int>(newlines);
  return InputError(fmt::format("{}:{}:{}: error: {}", value.file, line,
                                newlines == 0 ? value.column : 1, message));
}

// Expands value.text from `i` into `out`: to the end, or (`nested`) to the
// '}' that closes the enclosing ${NAME:-default}, whose position it returns
// (the end when none does). A default is a value of its own, ${...} and $$
// included, as in a shell; with `use` false (a default not taken) it is
// read and checked only, and a variable unset in it stops nothing.
std::size_t expand_from(const ConfigString& value, const Getenv& getenv, std::size_t i, bool nested,
                        bool use, std::string& out) {
  const std::string_view text = value.text;
  while (i < text.size()) {
    if (nested && text[i] == '}') {
      return i;
    }
    if (text[i] != '$' || i + 1 == text.size() || (text[i + 1] != '{' && text[i + 1] != '$')) {
      out.push_back(text[i]);
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      out.push_back('$');
      i += 2;
      continue;
    }
    std::size_t end = i + 2;
    while (end < text.size() && is_name_char(text[end])) {
      ++end;
    }
    const std::string name(text.substr(i + 2, end - i - 2));
    const bool plain = end < text.size() && text[end] == '}';
    const bool with_default = text.compare(end, 2, ":-") == 0;
    if (text.find('}', end) == std::string_view::npos) {
      throw expand_problem(value, i, "'${' is not closed by '}' (write $$ for a literal '$')");
    }
    // What follows `${` is not quoted: it may be part of a password that
    // holds "${" (Zq${SECRET-Part!9}x).
    if (name.empty() || !is_name_start(name.front()) || (!plain && !with_default)) {
      throw expand_problem(value, i,
                           "'${' names no environment variable (expected ${NAME} or "
                           "${NAME:-default}, a name being letters, digits and '_'; write $$ "
                           "for a literal '$')");
    }
    const auto found = use ? getenv(name.c_str()) : std::nullopt;
    if (with_default) {
      const bool take = use && (!found || found->empty());
      std::string fallback;
      const std::size_t close = expand_from(value, getenv, end + 2, true, take, fallback);
      if (close == text.size()) {
        throw expand_problem(value, i, "'${' is not closed by '}' (write $$ for a literal '$')");
      }
      if (use) {
        out += take ? fallback : *found;
      }
      i = close + 1;
      continue;
    }
    if (found) {
      out += *found;
    } else if (use) {
      throw expand_problem(
          value, i,
          fmt::format("the environment variable {} is not set (used as ${{{}}}{}; "
                      "write ${{{}:-default}} for a default)",
                      name, name,
                      value.table.empty() ? "" : fmt::format(" in [env.{}]", value.table), name));
    }
    i = end + 1;
  }
  return i;
}

}  // namespace

std::string expand(const ConfigString& value, const Getenv& getenv) {
  std::string out;
  expand_from(value, getenv, 0, false, true, out);
  return out;
}

std::string expand_nonempty(const ConfigString& value, const Getenv& getenv, std::string_view key,
                            std::string_view wanted) {
  std::string out = expand(value, getenv);
  if (out.empty()) {
    // An empty path resolves to the folder of runner.toml, or to nothing
    // the message could name; an empty URL or table name to a message that
    // names neither the file nor the key.
    throw expand_problem(
        value, 0,
        fmt::format("'{}'{} is empty{}: give {}, or remove the key", key,
                    value.table.empty() ? "" : fmt::format(" in [env.{}]", value.table),
                    value.text.empty() ? "" : " once its ${...} are expanded", wanted));
  }
  return out;
}

ChosenUrl choose_database_url(const std::optional<std::string>& flag, const Getenv& getenv,
                              const Settings& settings, const std::filesystem::path& manifest_dir) {
  if (flag) {
    return {*flag, "--database", false, {}, {}};
  }
  // A variable set but empty is not taken as a URL; when no later variable
  // gives one, a command that connects is refused rather than sent to
  // runner.toml's database or the default SQLite file, which is not what
  // was meant (ChosenUrl::refusal).
  const char* empty = nullptr;
  for (const char* name : {"RUNNER_DATABASE_URL", "DATABASE_URL"}) {
    if (auto value = getenv(name); value && !value->empty()) {
      return {*value, name, false, {}, {}};
    } else if (value && empty == nullptr) {
      empty = name;
    }
  }
  const std::string refusal =
      empty == nullptr
          ? std::string()
          : fmt::format(
                "the environment variable {} is set but empty: set it to the database "
                "URL, or unset it to use {}",
                empty,
                settings.database ? "the database of runner.toml" : "the default sqlite:runner.db");
  if (settings.database) {
    const ConfigString& value = *settings.database;
    const std::filesystem::path file(value.file);
    // The project's own runner.toml, beside the manifest, is "runner.toml";
    // another (-c ../etc/app.toml, -c ../etc/runner.toml) is named as given.
    std::error_code ec;
    const std::filesystem::path folder = manifest_dir.empty() ? "." : manifest_dir;
    const bool own = file.filename() == "runner.toml" &&
                     ((file.parent_path().empty() ? "." : file.parent_path()).lexically_normal() ==
                          folder.lexically_normal() ||
                      std::filesystem::equivalent(file, folder / "runner.toml", ec));
    std::string source = own ? "runner.toml" : value.file;
    if (!value.table.empty()) {
      source += fmt::format(" [env.{}]", value.table);
    }
    return {expand_nonempty(value, getenv, "database", "a database URL"), source, true,
            file.parent_path(), refusal};
  }
  const std::filesystem::path file = manifest_dir.empty() ? "runner.db" : manifest_dir / "runner.db";
  return {"sqlite:" + util::encode_sqlite_path(file.string()), "default", false, {}, refusal};
}

CheckDialect choose_check_dialect(const std::optional<std::string>& flag,
                                  const std::optional<std::string>& url_dialect,
                                  const std::vector<std::vector<std::string>>& lists) {
  if (flag) {
    if (std::find(std::begin(k_dialect_names), std::end(k_dialect_names), *flag) ==
        std::end(k_dialect_names)) {
      throw InputError(fmt::format("--dialect {}: expected sqlite, postgres or mysql", *flag));
    }
    if (url_dialect && *url_dialect != *flag) {
      throw InputError(fmt::format("--dialect {} contradicts the database URL, which is {}", *flag,
                                   *url_dialect));
    }
    return {*flag, "--dialect"};
  }
  if (url_dialect) {
    return {*url_dialect, "the database URL"};
  }
  std::set<std::string> named;
  for (const auto& list : lists) {
    named.insert(list.begin(), list.end());
  }
  if (named.size() == 1) {
    return {*named.begin(), "the manifest's dialects"};
  }
  return {"sqlite", "default"};
}

}  // namespace runner::project
