// The diagram rendered by Graphviz's own library (layout and SVG), when the
// runner was built with it.

#include <stdexcept>

#include "doc/doc.hpp"

#ifdef RUNNER_HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#endif

namespace runner::doc {

#ifdef RUNNER_HAVE_GRAPHVIZ

bool have_graphviz() { return true; }

std::string render_svg(const std::string& dot_text) {
  GVC_t* context = gvContext();
  if (context == nullptr) {
    throw std::runtime_error("Graphviz: no context");
  }
  Agraph_t* graph = agmemread(dot_text.c_str());
  if (graph == nullptr) {
    gvFreeContext(context);
    throw std::runtime_error("Graphviz could not read the diagram");
  }
  std::string svg;
  if (gvLayout(context, graph, "dot") == 0) {
    char* data = nullptr;
    unsigned int length = 0;
    if (gvRenderData(context, graph, "svg", &data, &length) == 0 && data != nullptr) {
      svg.assign(data, length);
    }
    gvFreeRenderData(data);
    gvFreeLayout(context, graph);
  }
  agclose(graph);
  gvFreeContext(context);
  if (svg.empty()) {
    throw std::runtime_error("Graphviz could not lay out the diagram (is the dot plugin installed?)");
  }
  return svg;
}

#else

bool have_graphviz() { return false; }

std::string render_svg(const std::string& /*dot_text*/) {
  throw std::runtime_error("this runner was built without Graphviz");
}

#endif

}  // namespace runner::doc
