#include "project/revision_id.hpp"

#include "util/strings.hpp"

namespace runner::project {

std::optional<RevisionId> RevisionId::parse(std::string_view text) {
  RevisionId id;
  id.m_text = std::string(text);
  for (const auto& group : util::split(text, '.')) {
    if (!util::all_digits(group)) {
      return std::nullopt;
    }
    const std::size_t first = group.find_first_not_of('0');
    id.m_groups.push_back(first == std::string::npos ? "0" : group.substr(first));
  }
  for (const auto& group : id.m_groups) {
    if (!id.m_canonical.empty()) {
      id.m_canonical.push_back('.');
    }
    id.m_canonical += group;
  }
  return id;
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

}  // namespace runner::project
