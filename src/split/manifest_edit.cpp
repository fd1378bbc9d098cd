#include "split/manifest_edit.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "project/manifest.hpp"
#include "split/manifest_text.hpp"
#include "util/errors.hpp"

namespace runner::split {
namespace {

// True when the edited manifest reads back as the entries intended: the
// same revisions in the same order, with every field the edit keeps.
bool same_entries(const std::vector<project::Entry>& expected,
                  const std::vector<project::Entry>& actual) {
  if (expected.size() != actual.size()) {
    return false;
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& a = expected[i];
    const auto& b = actual[i];
    if (!(a.id.text() == b.id.text() && a.name == b.name && a.kind == b.kind &&
          a.transaction == b.transaction && a.irreversible == b.irreversible &&
          a.dialects == b.dialects && a.description == b.description)) {
      return false;
    }
  }
  return true;
}

// A replacement of text[span] by `text`.
struct Edit {
  Span span;
  std::string text;
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
    same = same_entries(expected, after.revisions);
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
  const std::vector<EntryText> items = find_entries(text, display_path);
  if (index >= items.size()) {
    refuse_edit(text, display_path, 0,
                fmt::format("the list has {} entries, not {}", items.size(), index + 1));
  }
  const EntryText& item = items[index];
  const std::size_t anchor = item.flow ? item.map.begin : item.begin;
  if (!item.id || !item.name || !item.kind) {
    refuse_edit(text, display_path, anchor, "its id, name or kind was not found");
  }
  const auto copy = [&](const NewEntry& entry) {
    const std::vector<Edit> edits{{*item.id, styled(text, *item.id, entry.id)},
                                  {*item.name, styled(text, *item.name, entry.name)},
                                  {*item.kind, styled(text, *item.kind, entry.kind)}};
    return item.flow ? copy_with(text, item.map, edits, {})
                     : copy_with(text, Span{item.begin, item.end}, edits, item.skip);
  };
  // The line ending of the entry's own line.
  const std::size_t newline = text.find('\n', anchor);
  const std::string eol =
      newline != std::string_view::npos && newline > 0 && text[newline - 1] == '\r' ? "\r\n" : "\n";
  std::string insertion;
  std::size_t insert_at = 0;
  if (item.in_flow_list) {
    // revisions: [{...}, {...}]: after the '}', on one line or one per line.
    insert_at = item.map.end;
    const std::size_t newline_before = text.rfind('\n', item.map.begin);
    const std::size_t begin = newline_before == std::string_view::npos ? 0 : newline_before + 1;
    const std::string_view before = text.substr(begin, item.map.begin - begin);
    const bool own_line = before.find_first_not_of(" \t") == std::string_view::npos;
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

namespace {

// The line ending of the line holding `at`.
std::string eol_at(std::string_view text, std::size_t at) {
  const std::size_t newline = text.find('\n', at);
  return newline != std::string_view::npos && newline > 0 && text[newline - 1] == '\r' ? "\r\n"
                                                                                       : "\n";
}

// What separates two items of a flow list: the text between the first two
// when it holds no comment, else ", " or a line break and the item's indent.
std::string flow_separator(std::string_view text, const std::vector<EntryText>& items) {
  const std::string_view between =
      text.substr(items[0].map.end, items[1].map.begin - items[0].map.end);
  if (between.find('#') == std::string_view::npos) {
    return std::string(between);
  }
  const std::size_t newline = text.rfind('\n', items[1].map.begin);
  const std::size_t begin = newline == std::string_view::npos ? 0 : newline + 1;
  const std::string_view indent = text.substr(begin, items[1].map.begin - begin);
  return indent.find_first_not_of(" \t") == std::string_view::npos
             ? "," + eol_at(text, items[0].map.begin) + std::string(indent)
             : std::string(", ");
}

// `text` with `span` replaced by `with`.
std::string replaced(std::string_view text, Span span, std::string_view with) {
  std::string out(text);
  out.replace(span.begin, span.end - span.begin, with);
  return out;
}

// `text` with `removal` erased and `insertion` put at `at`, a position of
// `text` outside `removal`.
std::string moved(std::string_view text, Span removal, std::size_t at, std::string_view insertion) {
  std::string out(text);
  // The later position first, so that the earlier one stays where it was.
  if (at > removal.begin) {
    out.insert(at, insertion);
    out.erase(removal.begin, removal.end - removal.begin);
  } else {
    out.erase(removal.begin, removal.end - removal.begin);
    out.insert(at, insertion);
  }
  return out;
}

// Throws unless `edited` reads back as the entries of `rest` (the manifest
// without the entry) with the entry of `alone` (a manifest of that entry
// only), its id now `new_id`, at position `place`.
void verify_renumber(std::string_view original, std::string_view edited, std::string_view rest,
                     std::string_view alone, const std::string& path, std::size_t place,
                     std::string_view new_id, std::size_t line) {
  std::vector<project::Diagnostic> after_problems;
  const auto after = project::parse_manifest(normalised(edited), path, after_problems);
  if (project::has_errors(after_problems)) {
    std::vector<project::Diagnostic> before_problems;
    project::parse_manifest(normalised(original), path, before_problems);
    if (project::has_errors(before_problems)) {
      before_problems.insert(
          before_problems.begin(),
          project::Diagnostic{path,
                              0,
                              0,
                              project::Severity::error,
                              fmt::format("renumber: the manifest has problems that giving the "
                                          "revision the id {} does not fix; nothing was changed",
                                          new_id),
                              {}});
      throw project::ProjectError(std::move(before_problems));
    }
  }
  std::vector<project::Diagnostic> rest_problems;
  std::vector<project::Diagnostic> alone_problems;
  const auto others = project::parse_manifest(normalised(rest), path, rest_problems);
  const auto entry = project::parse_manifest(normalised(alone), path, alone_problems);
  bool same = !project::has_errors(after_problems) && !project::has_errors(rest_problems) &&
              !project::has_errors(alone_problems) && entry.revisions.size() == 1 &&
              place <= others.revisions.size();
  if (same) {
    std::vector<project::Entry> expected = others.revisions;
    project::Entry moved = entry.revisions.front();
    moved.id = *project::RevisionId::parse(new_id);
    expected.insert(expected.begin() + static_cast<long>(place), moved);
    same = same_entries(expected, after.revisions);
  }
  if (!same) {
    throw InputError(
        fmt::format("{}:{}: error: renumber cannot edit this manifest entry safely (the "
                    "edited manifest would not read back as intended); nothing was "
                    "changed. Renumber the revision by hand",
                    path, line));
  }
}

}  // namespace

std::string renumber_entry(std::string_view text, const std::string& display_path,
                           std::size_t index, std::string_view new_id) {
  const std::vector<EntryText> items = find_entries(text, display_path, "renumber");
  if (index >= items.size()) {
    refuse_edit(text, display_path, 0,
                fmt::format("the list has {} entries, not {}", items.size(), index + 1),
                "renumber");
  }
  const EntryText& item = items[index];
  const std::size_t anchor = item.flow ? item.map.begin : item.begin;
  const auto to = project::RevisionId::parse(new_id);
  if (!item.id || !to) {
    refuse_edit(text, display_path, anchor, "its id was not found", "renumber");
  }
  // Its place among the other entries: after the last one with a lower id.
  std::size_t place = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i == index) {
      continue;
    }
    const std::size_t at = items[i].flow ? items[i].map.begin : items[i].begin;
    if (!items[i].id) {
      refuse_edit(text, display_path, at, "an entry without an id", "renumber");
    }
    const auto id = project::RevisionId::parse(scalar_value(text, *items[i].id));
    if (!id) {
      refuse_edit(text, display_path, at, "an entry whose id is not a revision id", "renumber");
    }
    if (*id < *to) {
      place = i < index ? i + 1 : i;
    }
  }
  const std::vector<Edit> new_id_edit{{*item.id, styled(text, *item.id, new_id)}};
  // The entry it goes after (before, when it becomes the first).
  const std::size_t other =
      place > 0 ? (place - 1 < index ? place - 1 : place) : (index == 0 ? 1 : 0);
  std::string edited;
  std::string rest;   // the manifest without the entry, for the check
  std::string alone;  // a manifest of the entry alone, for the check
  if (item.in_flow_list) {
    alone = fmt::format("version: 1\nrevisions: [{}]\n",
                        text.substr(item.map.begin, item.map.end - item.map.begin));
    // The entry with the separator before it (after it, for the first).
    const Span removal = items.size() == 1 ? item.map
                         : index > 0       ? Span{items[index - 1].map.end, item.map.end}
                                           : Span{item.map.begin, items[1].map.begin};
    rest = replaced(text, removal, "");
    if (place != index) {
      const std::string map = copy_with(text, item.map, new_id_edit, {});
      const std::string separator = flow_separator(text, items);
      edited = moved(text, removal, place > 0 ? items[other].map.end : items[other].map.begin,
                     place > 0 ? separator + map : map + separator);
    }
  } else {
    const Span lines{item.begin, item.end};
    alone =
        fmt::format("version: 1\nrevisions:\n{}\n", text.substr(item.begin, item.end - item.begin));
    rest = replaced(text, lines, "");
    if (place != index) {
      const std::string eol = eol_at(text, anchor);
      std::string chunk = copy_with(text, lines, new_id_edit, {});
      if (chunk.empty() || chunk.back() != '\n') {
        chunk += eol;
      }
      const std::size_t insert_at = place > 0 ? items[other].end : items[other].begin;
      if (insert_at == text.size() && !text.empty() && text.back() != '\n') {
        chunk = eol + chunk.substr(0, chunk.size() - eol.size());  // the file ends as it did
      }
      edited = moved(text, lines, insert_at, chunk);
      // The last entry, written without a final newline, moved up: the
      // entry now last keeps the file ending as it did.
      if (!text.empty() && text.back() != '\n' && !edited.empty() && edited.back() == '\n') {
        edited.resize(edited.size() - eol_at(edited, edited.size() - 1).size());
      }
    }
  }
  if (place == index) {
    edited = replaced(text, *item.id, new_id_edit.front().text);
  }
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(anchor), '\n');
  verify_renumber(text, edited, rest, alone, display_path, place, new_id,
                  static_cast<std::size_t>(line));
  return edited;
}

}  // namespace runner::split
