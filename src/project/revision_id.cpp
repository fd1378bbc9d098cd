#include "project/revision_id.hpp"

#include "util/strings.hpp"

namespace runner::project {

std::optional<RevisionId> RevisionId::parse(std::string_view text) {
  RevisionId id;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = text.find('.', start);
    const std::string_view group =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (group.empty()) {
      return std::nullopt;
    }
    for (const char c : group) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
    }
    const std::size_t first = group.find_first_not_of('0');
    id.m_groups.emplace_back(first == std::string_view::npos ? std::string_view("0")
                                                             : group.substr(first));
    if (!id.m_canonical.empty()) {
      id.m_canonical.push_back('.');
    }
    id.m_canonical += id.m_groups.back();
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  id.m_text = std::string(text);
  return id;
}

std::optional<std::string> RevisionId::canonical_of(std::string_view text) {
  std::string canonical;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = text.find('.', start);
    const std::string_view group =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (group.empty() || !util::all_digits(group)) {
      return std::nullopt;
    }
    const std::size_t first = group.find_first_not_of('0');
    if (!canonical.empty() || start > 0) {
      canonical.push_back('.');
    }
    canonical += first == std::string_view::npos ? std::string_view("0") : group.substr(first);
    if (dot == std::string_view::npos) {
      return canonical;
    }
    start = dot + 1;
  }
}

std::strong_ordering RevisionId::operator<=>(const RevisionId& other) const {
  const std::size_t common = std::min(m_groups.size(), other.m_groups.size());
  for (std::size_t i = 0; i < common; ++i) {
    const std::string& a = m_groups[i];
    const std::string& b = other.m_groups[i];
    // Without leading zeros, a longer digit string is a larger number.
    if (a.size() != b.size()) {
      return a.size() <=> b.size();
    }
    if (const int c = a.compare(b); c != 0) {
      return c <=> 0;
    }
  }
  return m_groups.size() <=> other.m_groups.size();
}

std::string increment_digits(const std::string& digits) {
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

}  // namespace runner::project
