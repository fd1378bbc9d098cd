// The diagram rendered by Graphviz's own library (layout and SVG), when the
// runner was built with it.
//
// libgvc is loaded with dlopen the first time an SVG is asked for, so that
// every other run does not pay for loading it and the libraries it brings
// (libcgraph, libltdl, libcdt, libpathplan, expat, zlib: about 2 ms of
// every start). Only dynamic builds have Graphviz (Debian ships no static
// archive of it), so there is no linked variant of the table, unlike
// libpq's and Connector/C++'s. The plugins (layout, SVG output) are
// libgvc's own business: it finds them through its config file with
// libltdl, however libgvc itself was loaded, and they bind to the libgvc
// and libcgraph already loaded.

#include <stdexcept>

#include "doc/doc.hpp"

#ifdef RUNNER_HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "util/library.hpp"
#endif

namespace runner::doc {

#ifdef RUNNER_HAVE_GRAPHVIZ

namespace {

// The functions called below: gv* from libgvc, ag* from libcgraph, which
// libgvc needs and so brings along (dlsym on libgvc's handle searches its
// dependencies too).
#define RUNNER_GRAPHVIZ_FUNCTIONS(X)                                                   \
  X(gvContext) X(gvFreeContext) X(gvLayout) X(gvFreeLayout) X(gvRenderData)            \
  X(gvFreeRenderData) X(agmemread) X(agclose)

struct Graphviz {
  RUNNER_GRAPHVIZ_FUNCTIONS(RUNNER_LIBRARY_MEMBER)
};

const util::LibrarySpec k_graphviz{
    "libgvc.so.6", "an SVG diagram", "Graphviz's library", " (or the libcgraph it loads)",
    "install Debian's libgvc6 (a dependency of the runner's package), or use --format dot and "
    "Graphviz's 'dot -Tsvg'"};

// The table; the first call loads libgvc (kept loaded: the plugins it
// loads use it too), and throws InputError (exit 2) when it cannot.
const Graphviz& gv() {
  static const Graphviz lib = util::load_table<Graphviz>(  // a throw leaves it to be tried again
      k_graphviz,
      [](Graphviz& t, const util::Library& lib) { RUNNER_GRAPHVIZ_FUNCTIONS(RUNNER_LIBRARY_BIND) });
  return lib;
}

}  // namespace

bool have_graphviz() { return true; }

std::string render_svg(const std::string& dot_text) {
  const Graphviz& g = gv();
  GVC_t* context = g.gvContext();
  if (context == nullptr) {
    throw std::runtime_error("Graphviz: no context");
  }
  Agraph_t* graph = g.agmemread(dot_text.c_str());
  if (graph == nullptr) {
    g.gvFreeContext(context);
    throw std::runtime_error("Graphviz could not read the diagram");
  }
  std::string svg;
  if (g.gvLayout(context, graph, "dot") == 0) {
    char* data = nullptr;
    unsigned int length = 0;
    if (g.gvRenderData(context, graph, "svg", &data, &length) == 0 && data != nullptr) {
      svg.assign(data, length);
    }
    g.gvFreeRenderData(data);
    g.gvFreeLayout(context, graph);
  }
  g.agclose(graph);
  g.gvFreeContext(context);
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
