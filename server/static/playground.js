// ScoreLink's sandbox playground: GraphiQL with the partner and person flows as starting tabs
// (playground-tabs.json), and a "sign in as" control that gets a demo partner's or a test
// persona's token through the public endpoints and sends it with every tab's requests.
// Loaded from ScoreLink itself; the page's content security policy allows no other origin.
(function () {
  "use strict";

  var SIGNED_IN_KEY = "scorelink:playground:signed-in";
  // Renew this many seconds before the token expires, so no request carries a stale one.
  var RENEW_MARGIN_SECONDS = 60;

  var select = document.getElementById("scorelink-identity");
  var status = document.getElementById("scorelink-signin-status");
  var identities = {};
  var signedIn = null; // {identity, label, token, expiresAt (ms)}
  var renewTimer = null;

  function graphql(query, variables) {
    return fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: query, variables: variables }),
    }).then(function (response) {
      return response.json();
    });
  }

  function partnerToken(partner) {
    return fetch("/oauth/token", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "Basic " + btoa(partner.clientId + ":" + partner.clientSecret),
      },
      body: "grant_type=client_credentials",
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        if (!body.access_token) throw new Error(body.error_description || body.error || "refused");
        return { token: body.access_token, expiresIn: body.expires_in };
      });
  }

  function personaToken(persona, code) {
    var send = "mutation ($phone: String!) { requestLoginCode(phone: $phone) { __typename } }";
    var verify =
      "mutation ($phone: String!, $code: String!) { verifyLoginCode(phone: $phone, code: $code) " +
      "{ __typename ... on SignedIn { accessToken expiresIn } } }";
    return graphql(send, { phone: persona.phone })
      .then(function () {
        return graphql(verify, { phone: persona.phone, code: code });
      })
      .then(function (body) {
        var answer = body.data && body.data.verifyLoginCode;
        if (!answer || !answer.accessToken) {
          throw new Error((answer && answer.__typename) || JSON.stringify(body.errors || body));
        }
        return { token: answer.accessToken, expiresIn: answer.expiresIn };
      });
  }

  function show(text) {
    status.textContent = text;
  }

  function remember() {
    if (signedIn) localStorage.setItem(SIGNED_IN_KEY, JSON.stringify(signedIn));
    else localStorage.removeItem(SIGNED_IN_KEY);
  }

  function schedule() {
    clearTimeout(renewTimer);
    if (!signedIn) return;
    var wait = Math.max(0, signedIn.expiresAt - Date.now() - RENEW_MARGIN_SECONDS * 1000);
    renewTimer = setTimeout(function () {
      signIn(signedIn.identity);
    }, wait);
  }

  function signIn(identity) {
    clearTimeout(renewTimer);
    var chosen = identities[identity];
    if (!chosen) {
      signedIn = null;
      remember();
      show("Not signed in: requests carry only the Headers pane's.");
      return Promise.resolve();
    }
    show("Signing in as " + chosen.label + "...");
    return chosen
      .getToken()
      .then(function (got) {
        signedIn = {
          identity: identity,
          label: chosen.label,
          token: got.token,
          expiresAt: Date.now() + got.expiresIn * 1000,
        };
        remember();
        schedule();
        var at = new Date(signedIn.expiresAt - RENEW_MARGIN_SECONDS * 1000);
        show("Signed in as " + chosen.label + "; token renews at " + at.toLocaleTimeString() + ".");
      })
      .catch(function (error) {
        signedIn = null;
        remember();
        show("Could not sign in as " + chosen.label + ": " + error.message);
      });
  }

  function addOption(identity, label, getToken) {
    identities[identity] = { label: label, getToken: getToken };
    var option = document.createElement("option");
    option.value = identity;
    option.textContent = label;
    select.appendChild(option);
  }

  function loadIdentities() {
    return fetch("/playground/identities")
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        body.partners.forEach(function (partner) {
          addOption("partner:" + partner.clientId, partner.clientId + " (" + partner.type + " partner)",
            function () { return partnerToken(partner); });
        });
        body.personas.forEach(function (persona) {
          addOption("persona:" + persona.phone, persona.name + ", " + persona.phone,
            function () { return personaToken(persona, body.personaCode); });
        });
        select.disabled = false;
        var stored = JSON.parse(localStorage.getItem(SIGNED_IN_KEY) || "null");
        if (stored && identities[stored.identity]) {
          select.value = stored.identity;
          if (stored.expiresAt - Date.now() > RENEW_MARGIN_SECONDS * 1000) {
            signedIn = stored;
            schedule();
            show("Signed in as " + stored.label + " (kept from before the reload).");
          } else {
            signIn(stored.identity);
          }
        }
      })
      .catch(function (error) {
        show("The sign-in control is unavailable: " + error.message);
      });
  }

  select.addEventListener("change", function () {
    signIn(select.value);
  });

  // Adds the signed-in token unless the tab's own headers carry an Authorization header.
  // Subscriptions go over a WebSocket to the same /graphql (graphql-transport-ws, with the
  // graphql-ws client GraphiQL bundles); the headers become connection_init's payload, which
  // is where the server reads the token. A subscription keeps the token it started with and
  // ends when that token expires: run it again to go on listening.
  var plainFetcher = GraphiQL.createFetcher({
    url: "/graphql",
    subscriptionUrl: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql",
  });
  function fetcher(params, options) {
    var headers = Object.assign({}, options && options.headers);
    var ownAuthorization = Object.keys(headers).some(function (name) {
      return name.toLowerCase() === "authorization";
    });
    if (!ownAuthorization && signedIn) headers.Authorization = "Bearer " + signedIn.token;
    return plainFetcher(params, Object.assign({}, options, { headers: headers }));
  }

  function render(tabs) {
    var root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultEditorToolsVisibility: "headers",
        // Sandbox only (production serves no playground): tabs and their headers survive reloads.
        shouldPersistHeaders: true,
        defaultTabs: tabs.map(function (tab) {
          return { query: tab.query, variables: tab.variables || "", headers: "" };
        }),
      })
    );
  }

  window.scorelinkPlayground = {
    ready: Promise.all([
      loadIdentities(),
      fetch("/static/playground-tabs.json")
        .then(function (response) {
          return response.json();
        })
        .then(function (tabs) {
          window.scorelinkPlayground.tabs = tabs;
          render(tabs);
        }),
    ]),
  };
})();
