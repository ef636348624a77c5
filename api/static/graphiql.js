// GraphiQL's start-up on the page api/graphiql.py serves: a file rather than an inline script, so that the
// page's Content-Security-Policy allows scripts from this origin only. React, ReactDOM, GraphiQL and
// GraphiQLPluginExplorer are the globals of the UMD bundles loaded before it.
(function () {
  "use strict";

  // GraphiQL's dialogs lock scrolling with a <style> element they create when they open; the page's policy
  // allows inline styles only with this response's nonce, which the page hands to this script's element.
  var styleNonce = document.currentScript && document.currentScript.nonce;
  if (styleNonce) {
    var createElement = document.createElement;
    document.createElement = function (tagName, options) {
      var element = createElement.call(document, tagName, options);
      if (String(tagName).toLowerCase() === "style") {
        element.setAttribute("nonce", styleNonce);
      }
      return element;
    };
  }

  var EXAMPLE_QUERY = [
    "# GraphiQL for ocop-market.",
    "#",
    "# Reads need no key. For writes, add the header",
    '#   {"Authorization": "Bearer <key>"}',
    "# with a key printed by `make run` (also in .local/demo-keys.json).",
    "#",
    "# Run a query with Ctrl-Enter (or the play button); Ctrl-Space completes.",
    "",
    "{",
    "  products(first: 5) {",
    "    totalCount",
    "    edges { node { id name stars priceVnd unit province { name } } }",
    "  }",
    "}",
    "",
  ].join("\n");

  // The query, variables and headers are kept in the address, so that a link shares them.
  var parameters = {};
  new URLSearchParams(window.location.search).forEach(function (value, key) {
    parameters[key] = value;
  });

  function updateURL(data) {
    Object.assign(parameters, data);
    var search = new URLSearchParams();
    Object.keys(parameters).forEach(function (key) {
      if (parameters[key]) {
        search.set(key, parameters[key]);
      }
    });
    var query = search.toString();
    history.replaceState(null, "", query ? "?" + query : window.location.pathname);
  }

  var fetchURL = window.location.href.split("?")[0].split("#")[0];
  var subscriptionURL = new URL(fetchURL);
  subscriptionURL.protocol = subscriptionURL.protocol === "https:" ? "wss:" : "ws:";

  var fetcher = GraphiQL.createFetcher({
    url: fetchURL,
    subscriptionUrl: subscriptionURL.toString(),
  });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    var query = React.useState(parameters.q || EXAMPLE_QUERY);
    var variables = React.useState(parameters.variables);
    var headers = React.useState(parameters.headers);

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
      query: query[0],
      variables: variables[0],
      headers: headers[0],
      onEditQuery: function (value) {
        query[1](value);
        updateURL({ q: value });
      },
      onEditVariables: function (value) {
        variables[1](value);
        updateURL({ variables: value });
      },
      onEditHeaders: function (value) {
        headers[1](value);
      },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
