#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "exec/signals.hpp"
#include "project/skeleton.hpp"
#include "split/renumber.hpp"
#include "split/split.hpp"
#include "util/errors.hpp"
#include "util/file_lock.hpp"
#include "util/links.hpp"
#include "util/output.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

// The id after the last one: its first group plus one, same width.
std::string next_id(const project::Manifest& manifest) {
  if (manifest.revisions.empty()) {
    return "0001";
  }
  const std::string& last = manifest.revisions.back().id.text();
  return project::increment_digits(last.substr(0, last.find('.')));
}

// A UTC time as a timestamp id, YYYYMMDDHHMMSS.
std::string timestamp_text(std::time_t time) {
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  return std::string(text, std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &utc));
}

// The time a 14-digit timestamp id stands for, if it is one.
std::optional<std::time_t> timestamp_time(const std::string& digits) {
  if (digits.size() != 14 || !util::all_digits(digits)) {
    return std::nullopt;
  }
  std::tm utc{};
  utc.tm_year = std::stoi(digits.substr(0, 4)) - 1900;
  utc.tm_mon = std::stoi(digits.substr(4, 2)) - 1;
  utc.tm_mday = std::stoi(digits.substr(6, 2));
  utc.tm_hour = std::stoi(digits.substr(8, 2));
  utc.tm_min = std::stoi(digits.substr(10, 2));
  utc.tm_sec = std::stoi(digits.substr(12, 2));
  const std::time_t time = timegm(&utc);
  if (time == static_cast<std::time_t>(-1) || timestamp_text(time) != digits) {
    return std::nullopt;  // not a real date and time (month 13, second 60)
  }
  return time;
}

// Now in UTC as YYYYMMDDHHMMSS; one second after the last id when that is
// not earlier (two `new` in one second, or a clock behind), so that the
// new id is always the highest.
std::string next_timestamp_id(const project::Manifest& manifest) {
  std::time_t now = std::time(nullptr);
  if (manifest.revisions.empty()) {
    return timestamp_text(now);
  }
  const std::string& last = manifest.revisions.back().id.text();
  const std::string first_group = last.substr(0, last.find('.'));
  if (const auto time = timestamp_time(first_group)) {
    return timestamp_text(std::max(now, *time + 1));
  }
  const std::string candidate = timestamp_text(now);
  return *project::RevisionId::parse(candidate) > manifest.revisions.back().id
             ? candidate
             : project::increment_digits(first_group);
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

// How the file's first line ends: "\r\n", "\r" (a CR-only file) or "\n".
std::string line_end_of(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return "\n";
  }
  std::string end = "\n";
  for (int c = 0, previous = 0; (c = std::fgetc(file)) != EOF; previous = c) {
    if (previous == '\r') {
      end = c == '\n' ? "\r\n" : "\r";
      break;
    }
    if (c == '\n') {
      break;
    }
  }
  std::fclose(file);
  return end;
}

// The indentation of the existing `- id:` lines, or two spaces.
std::string entry_indent(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find_first_of("\r\n", at);
    const std::string_view line = text.substr(at, end == std::string_view::npos ? end : end - at);
    const std::size_t dash = line.find_first_not_of(' ');
    if (dash != std::string_view::npos && line.substr(dash, 2) == "- ") {  // also at column 0
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

[[noreturn]] void cannot_write(const fs::path& path, int error) {
  throw InputError(fmt::format("{}: cannot write ({})", path.string(), std::strerror(error)));
}

// The files and folders `new` and `init` create and the manifest `new`
// appends to, put back as they were unless keep() is called: a full disk or
// a folder without write permission leaves no empty revision file, half a
// skeleton or a torn manifest behind. A signal meanwhile is held back
// (exec::signals::FileChange): before the last step it undoes everything,
// after it the change is whole and the signal only sets the exit code.
class NewFiles {
 public:
  explicit NewFiles(std::string what) : m_change(std::move(what)) {}
  NewFiles(const NewFiles&) = delete;
  NewFiles& operator=(const NewFiles&) = delete;
  ~NewFiles() {
    if (m_kept) {
      return;
    }
    std::error_code ec;
    for (auto path = m_created.rbegin(); path != m_created.rend(); ++path) {
      fs::remove(*path, ec);  // a folder only when empty
    }
    if (m_appended) {
      [[maybe_unused]] const int ignored = truncate(m_appended->c_str(), m_manifest_size);
    }
  }

  // Creates `path` (it must not exist) holding `text`.
  void create(const fs::path& path, const std::string& text) {
    create_folder(path.parent_path());
    m_change.check();
    std::FILE* out = std::fopen(path.c_str(), "wbx");
    if (out == nullptr) {
      if (errno == EEXIST) {
        throw InputError(fmt::format("{} already exists", path.string()));
      }
      cannot_write(path, errno);
    }
    m_created.push_back(path);
    finish(path, out, text);
  }

  // Creates the folder `path` and those above it that are missing.
  void create_folder(const fs::path& path) {
    m_change.check();
    if (path.empty()) {
      return;
    }
    std::vector<fs::path> missing;
    std::error_code ec;
    for (fs::path at = path; !at.empty() && !fs::exists(at, ec); at = at.parent_path()) {
      missing.push_back(at);
      if (at == at.parent_path()) {
        break;
      }
    }
    if (!fs::create_directories(path, ec) && ec) {
      throw InputError(fmt::format("cannot create {} ({})", path.string(), ec.message()));
    }
    m_created.insert(m_created.end(), missing.rbegin(), missing.rend());
  }

  // Appends `text` to the manifest at `path`, `size` bytes long now.
  void append(const fs::path& path, std::uintmax_t size, const std::string& text) {
    m_change.check();
    std::FILE* out = std::fopen(path.c_str(), "ab");
    if (out == nullptr) {
      cannot_write(path, errno);
    }
    m_appended = path;
    m_manifest_size = static_cast<off_t>(size);
    finish(path, out, text);
  }

  // Throws InterruptedError, undoing everything, when a signal came.
  void check() const { m_change.check(); }

  // Everything is in place; `done` says what was written.
  void keep(const std::string& done) {
    m_kept = true;
    m_change.committed(done);
  }

 private:
  static void finish(const fs::path& path, std::FILE* out, const std::string& text) {
    if (const int error = util::write_and_close(out, text); error != 0) {
      cannot_write(path, error);
    }
  }

  std::vector<fs::path> m_created;
  std::optional<fs::path> m_appended;
  off_t m_manifest_size = 0;
  bool m_kept = false;
  exec::signals::FileChange m_change;
};

// The manifest locked, from reading it to writing it, against the other
// commands that change it (new, split, renumber): each would otherwise
// write back what it read before another's change, and lose that change;
// and against the commands that read the project (Project::load shares
// the lock), which would see a change half made. Exclusive, kept on the
// file now at the path; none without a manifest (`new` creates it). split
// and renumber replace the manifest, and they do it last: a reader that
// locks the file now in place sees the whole change. Lock order: split and renumber take it after
// the database's lock, and nothing waits for another lock while holding it;
// so a command may wait for it holding the database's lock (up reading the
// project again), never the reverse.
class ManifestLock {
 public:
  explicit ManifestLock(const Context& ctx)
      : m_lock(ctx.manifest_path(), util::FileLock::Mode::exclusive, ctx.manifest_waiting()) {}

 private:
  util::FileLock m_lock;
};

// The database of a command that changes a revision only while the
// database has no record of it (split, renumber), locked as up and down lock
// it: a concurrent `up` has either recorded what it ran when the history is
// read here, or waits until the files are changed. Neither without a
// database yet (a SQLite file not made): nothing is recorded there.
struct LockedDatabase {
  explicit LockedDatabase(const Context& ctx) : connection(ctx.connect_existing()) {
    if (connection) {
      critical.emplace(connection.get());
      lock = take_lock(ctx, *connection);
    }
  }
  // The history as the lock holds it (empty without a database).
  plan::History history(const Context& ctx) const {
    try {
      return read_history(connection.get(), ctx.tables());
    } catch (const Error&) {
      exec::signals::check();  // a signal cancelled the read: that is the failure
      throw;
    }
  }
  std::unique_ptr<drivers::Connection> connection;
  std::optional<exec::signals::CriticalSection> critical;  // a signal ends the wait, the read
  std::unique_ptr<drivers::Lock> lock;
};

}  // namespace

int create_revision(const Context& ctx, const std::string& name, const CommandOptions& o,
                    const Generated* generated) {
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_-") != std::string::npos) {
    throw UsageError(fmt::format(
        "new: name '{}' may hold only letters, digits, '_' and '-'", name));
  }
  const fs::path manifest_path = ctx.manifest_path();
  // Two `new` at once would both take the next id.
  const ManifestLock lock(ctx);
  std::error_code ec;
  // A symbolic link that leads nowhere is read, and refused saying so: a
  // manifest started anew would replace it.
  std::string text = fs::exists(manifest_path, ec) || util::broken_link(manifest_path)
                         ? util::read_text_file(manifest_path)
                         : std::string("version: 1\nrevisions:\n");
  const std::uintmax_t text_size = fs::file_size(manifest_path, ec);  // as on disk (CRLF, BOM)
  std::vector<project::Diagnostic> diagnostics;
  const auto manifest = project::parse_manifest(text, manifest_path.string(), diagnostics);
  if (project::has_errors(diagnostics)) {
    throw project::ProjectError(std::move(diagnostics));
  }
  const std::string id =
      o.timestamp || ctx.timestamp_ids() ? next_timestamp_id(manifest) : next_id(manifest);
  const fs::path root = ctx.project_root();
  const fs::path up = root / "migrations" / "up" / fmt::format("{}_{}.sql", id, name);
  const fs::path down = root / "migrations" / "down" / fmt::format("{}_{}.sql", id, name);
  const fs::path templates =
      ctx.templates() ? fs::path(*ctx.templates()) : root / "templates";
  const char* kind = o.data ? "data" : "schema";
  NewFiles files(fmt::format("new {}", name));
  if (generated != nullptr) {  // --autogenerate: the SQL it proved
    files.create(up, fmt::format("-- {} {}: {}\n{}", id, name, generated->note, generated->up));
    files.create(down, fmt::format("-- {} {}: undo {}\n{}", id, name, name, generated->down));
  } else {
    files.create(up, template_text(templates, o.data ? "data.up.sql" : "up.sql",
                                   fmt::format("-- {} {}: {} change\n", id, name, kind)));
    files.create(down, template_text(templates, o.data ? "data.down.sql" : "down.sql",
                                     fmt::format("-- {} {}: undo the change\n", id, name)));
  }
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
  std::string addition = text.empty() || text.back() == '\n' || text.back() == '\r' ? "" : "\n";
  addition += fmt::format("{}- id: \"{}\"\n{}  name: {}\n{}  kind: {}\n", indent, id, indent, name,
                          indent, kind);
  if (o.no_transaction) {
    addition += fmt::format("{}  transaction: false\n", indent);
  }
  // Appending suits a block list of revisions at the end of the file; a
  // flow list, a list at column 0 or a key after it would be torn. What
  // the manifest reads as after the append is checked before it is written.
  std::vector<project::Diagnostic> after;
  const auto appended = project::parse_manifest(text + addition, manifest_path.string(), after);
  if (project::has_errors(after) || appended.revisions.size() != manifest.revisions.size() + 1 ||
      appended.revisions.back().id.text() != id || appended.revisions.back().name != name) {
    throw InputError(fmt::format(
        "new: {} is laid out so that an entry appended at its end would not be read as the "
        "last revision (a flow list, a list at column 0, or a key after the list); nothing was "
        "changed. Add the entry by hand, or make 'revisions:' an indented block list that ends "
        "the file:\n{}",
        manifest_path.string(), addition.substr(addition.find_first_not_of('\n'))));
  }
  if (const std::string end = line_end_of(manifest_path); end != "\n") {
    util::replace_all(addition, "\n", end);  // as the file has its lines
  }
  if (rewrite) {
    files.check();
    util::write_text_file_if_changed(manifest_path, text + addition);  // whole, or not at all
  } else {
    files.append(manifest_path, text_size, addition);
  }
  files.keep(fmt::format("new {}: revision {} {} was created whole: {}, {} and its entry in {}",
                         name, id, name, up.string(), down.string(), manifest_path.string()));
  if (ctx.reporter().json()) {
    nlohmann::json result{{"id", id}, {"name", name}, {"up", up.string()}, {"down", down.string()}};
    if (generated != nullptr) {
      result.update(generated->json);
    }
    ctx.reporter().emit(result);
  } else {
    ctx.reporter().out(up.string());
    ctx.reporter().out(down.string());
  }
  return 0;
}

int cmd_split(const Context& ctx, const CommandOptions& o) {
  const auto id = parse_id(o.target, "split");
  // The revision, refused when missing or not run here: before the
  // database is asked (bad input), then again under the locks, the
  // database's (a concurrent `up` may be applying it) and the manifest's.
  const auto runnable = [&](const project::Project& project) {
    const project::Revision* revision = project.find(*id);
    if (revision == nullptr) {
      throw InputError(fmt::format("split {}: no such revision in {}", id->text(),
                                   ctx.manifest_path().string()));
    }
    if (revision->noop) {
      throw InputError(
          fmt::format("split {}: the revision does not run on {}", id->text(), ctx.dialect()));
    }
    return revision;
  };
  {
    // Leniently here: the files of a `new` that has not written its entry
    // yet are no error of this revision.
    std::vector<project::Diagnostic> ignored;
    const auto scanned = ctx.scan_project(ignored);
    const project::Revision* found = scanned.find(*id);
    if (found == nullptr || found->noop) {
      runnable(ctx.load_project());  // says why, with every problem of the project
    }
  }
  const LockedDatabase database(ctx);
  const ManifestLock manifest_lock(ctx);
  const auto project = ctx.load_project();
  const project::Revision* revision = runnable(project);
  const plan::History history = database.history(ctx);
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
  exec::signals::FileChange change(fmt::format("split {}", id->text()));
  split::write(result, [&change] { change.check(); });
  if (!result.writes.empty()) {
    std::vector<std::string> parts;
    for (const auto& part : result.revisions) {
      parts.push_back(fmt::format("{} {} ({})", part.id, part.name, split::to_string(part.kind)));
    }
    change.committed(
        fmt::format("split {}: the change was written whole: {}", id->text(), util::join(parts)));
  }
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

int cmd_renumber(const Context& ctx, const CommandOptions& o) {
  const auto from = parse_id(o.target, "renumber");
  const auto to = parse_id(o.new_id, "renumber: the new id");
  const std::optional<std::string> name =
      o.name.empty() ? std::nullopt : std::optional<std::string>(o.name);
  // Files and manifest are checked before the database is asked, and again
  // under the locks: the database's (a concurrent `up` may be applying the
  // revision), then the manifest's.
  split::plan_renumber(ctx.manifest_path(), *from, *to, name);
  const LockedDatabase database(ctx);
  const ManifestLock manifest_lock(ctx);
  const split::RenumberPlan plan = split::plan_renumber(ctx.manifest_path(), *from, *to, name);
  const plan::History history = database.history(ctx);
  // The record of `from` under another name is another revision's when the
  // file differs too (two branches gave one id to two revisions): this one
  // has no record and may move. A rename alone (the same file) has one.
  const auto others_record = [&](const plan::HistoryRecord& record) {
    if (plan.shared || record.name == plan.name) {
      return false;
    }
    std::vector<project::Diagnostic> ignored;
    const auto project = ctx.scan_project(ignored);
    const project::Revision* revision = project.find(*from);
    return revision != nullptr && revision->name() == plan.name && !revision->noop &&
           plan::other_revision(*revision, record, util::file_checksum(revision->up));
  };
  std::optional<project::RevisionId> newest_applied;
  for (const auto& record : history) {
    const auto id = project::RevisionId::parse(record.id);
    if (!id) {
      continue;
    }
    if (record.state == "applied" && (!newest_applied || *id > *newest_applied)) {
      newest_applied = *id;
    }
    // With two entries of one id (a merge), the record is the one of its name.
    if (*id == *from && (!plan.shared || record.name == plan.name) && !others_record(record)) {
      throw InputError(fmt::format(
          "renumber {}: {} has a record of revision {} {} ({}); only a revision the database "
          "has no record of can be renumbered (revert it first, if it is yours to change); "
          "nothing was changed",
          from->text(), ctx.url().redacted(), record.id, record.name, record.state));
    }
    if (*id == *to) {
      throw InputError(fmt::format(
          "renumber {} {}: {} has a record of revision {} {} ({}), so the id is taken; choose "
          "another; nothing was changed",
          from->text(), to->text(), ctx.url().redacted(), record.id, record.name, record.state));
    }
  }
  exec::signals::FileChange change(fmt::format("renumber {} {}", plan.from, plan.to));
  split::write(plan, [&change] { change.check(); });
  change.committed(
      fmt::format("renumber {} {}: revision {} {} was renumbered whole: its files "
                  "moved and its manifest entry changed",
                  plan.from, plan.to, plan.from, plan.name));
  const std::string where = fmt::format("{}:{}", ctx.manifest_path().string(), plan.line);
  std::string order;
  if (!plan.passed.empty()) {
    order = fmt::format("its entry moved to its place in the manifest: it now runs {} {}",
                        plan.later ? "after" : "before", util::join(plan.passed));
  }
  if (ctx.reporter().json()) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& [old_path, new_path] : plan.moves) {
      files.push_back({{"from", old_path.string()}, {"to", new_path.string()}});
    }
    ctx.reporter().emit({{"id", plan.from},
                         {"new_id", plan.to},
                         {"name", plan.name},
                         {"files", files},
                         {"manifest", ctx.manifest_path().string()},
                         {"passed", plan.passed}});
  } else {
    ctx.reporter().out(
        fmt::format("renumbered {} {} to {} ({})", plan.from, plan.name, plan.to, where));
    for (const auto& [old_path, new_path] : plan.moves) {
      ctx.reporter().out(fmt::format("  {} -> {}", old_path.string(), new_path.string()));
    }
  }
  if (!order.empty()) {
    ctx.reporter().progress(fmt::format("renumber: {}", order));
  }
  if (newest_applied && *to < *newest_applied) {
    ctx.reporter().warning(fmt::format(
        "renumber {} {}: {} has revision {} applied already, so 'up' will refuse {} as out of "
        "order (exit 3) unless given --allow-out-of-order; to run it next, give it an id after "
        "{}",
        plan.from, plan.to, ctx.url().redacted(), newest_applied->text(), plan.to,
        newest_applied->text()));
  }
  if (plan.moves.empty()) {
    ctx.reporter().warning(
        fmt::format("renumber {}: no file of revision {} {} was found; only "
                    "the manifest entry changed",
                    plan.from, plan.from, plan.name));
  }
  return 0;
}

int cmd_init(const Context& ctx, const CommandOptions& o) {
  const fs::path folder = o.folder.empty() ? fs::path(".") : fs::path(o.folder);
  const std::string dialect = o.init_dialect.empty() ? "sqlite" : o.init_dialect;
  const auto files = project::skeleton(dialect);
  std::error_code ec;
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec)) {
    throw InputError(fmt::format("init: {} exists and is not a folder", folder.string()));
  }
  // Nothing is overwritten, not even an empty folder of the same name.
  std::vector<std::string> present;
  for (const auto& file : files) {
    const fs::path top = folder / *fs::path(file.path).begin();
    if (fs::exists(folder / file.path, ec) || fs::exists(top, ec)) {
      const std::string name = fs::exists(top, ec) ? top.string() : (folder / file.path).string();
      if (std::find(present.begin(), present.end(), name) == present.end()) {
        present.push_back(name);
      }
    }
  }
  if (!present.empty()) {
    throw InputError(
        fmt::format("init: {} exist(s) already; init writes only where none of its "
                    "files and folders are; nothing was changed",
                    util::join(present)));
  }
  std::vector<std::string> created;
  NewFiles written("init");
  for (const auto& file : files) {
    const fs::path path = folder / file.path;
    try {
      if (file.folder) {
        written.create_folder(path);
      } else {
        written.create(path, file.text);
      }
    } catch (const InputError& error) {
      throw InputError(fmt::format("init: {}; nothing was changed", error.what()));
    }
    created.push_back(path.lexically_normal().string() + (file.folder ? "/" : ""));
  }
  written.keep(fmt::format("init: the {} project was created whole in {}", dialect,
                           folder.lexically_normal().string()));
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"created", created}, {"dialect", dialect}});
  } else {
    for (const auto& path : created) {
      ctx.reporter().out(path);
    }
    ctx.reporter().progress(
        fmt::format("init: a {} project; set the database in {}, then 'runner new create_users'",
                    dialect, (folder / "runner.toml").lexically_normal().string()));
  }
  return 0;
}

int cmd_new(const Context& ctx, const CommandOptions& o) {
  return o.autogenerate ? autogenerate(ctx, o.name, o) : create_revision(ctx, o.name, o);
}

int cmd_revision(const Context& ctx, const CommandOptions& o) {
  return o.autogenerate ? autogenerate(ctx, slug(o.name), o) : create_revision(ctx, slug(o.name), o);
}

}  // namespace runner::cli
