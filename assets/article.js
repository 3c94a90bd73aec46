// article.js makes the companion article's in-text links drive the app.
//
// A link of class "set" carries an app state in data-state, the app's URL
// fragment form ("target=gmm40&method=iwsm&compare=idem"). Clicking it puts
// the state in the embedded app's location.hash (the iframe is same-origin;
// the app applies it on hashchange) and brings the app into view. The link's
// href, app.html#<state>, is the fallback without JavaScript, in a new tab or
// with a modifier key. The article's own URL may carry a state too
// (index.html#target=rings): it is passed to the app at load.
"use strict";

(() => {
  const frame = document.getElementById("app-frame");
  const stage = document.getElementById("app");
  const now = document.getElementById("now");
  const own = document.getElementById("own");
  const back = document.getElementById("back");
  if (!frame || !stage) return;

  const appURL = new URL("app.html", document.baseURI).href;
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // appWindow returns the iframe's window once it shows app.html, else null
  // (still about:blank, or navigated elsewhere).
  function appWindow() {
    try {
      const w = frame.contentWindow;
      if (w && w.location.href.split("#")[0] === appURL) return w;
    } catch (e) {
      // not same-origin: leave it alone
    }
    return null;
  }

  // currentState returns the app's state as its URL fragment says now: the
  // app writes it back when the visitor changes a setting.
  function currentState() {
    const w = appWindow();
    return w ? w.location.hash.replace(/^#/, "") : "";
  }

  // setState hands a state to the app.
  function setState(state) {
    const w = appWindow();
    if (w) {
      w.location.hash = state; // fires hashchange in the app when it differs
    } else {
      frame.src = "app.html" + (state ? "#" + state : ""); // not loaded yet: load with it
    }
  }

  // The stage is out of view only on narrow screens, where it sits at the
  // top; on wide ones it is sticky and always visible.
  function stageVisible() {
    const r = stage.getBoundingClientRect();
    const h = window.innerHeight || document.documentElement.clientHeight;
    return r.top >= -1 && r.top < h * 0.5;
  }

  let returnTo = null; // the link to come back to after jumping to the app

  function showStage(link) {
    if (stageVisible()) return;
    returnTo = link;
    stage.scrollIntoView({ behavior: reduceMotion.matches ? "auto" : "smooth", block: "start" });
    if (back) back.hidden = false;
  }

  if (back) {
    back.addEventListener("click", () => {
      back.hidden = true;
      if (!returnTo) return;
      returnTo.scrollIntoView({ behavior: reduceMotion.matches ? "auto" : "smooth", block: "center" });
      returnTo.focus({ preventScroll: true });
      returnTo = null;
    });
  }

  let active = null;
  const defaultCaption = now ? now.textContent : "";

  // describe says what the app shows after a link was followed: its
  // data-label, or its text.
  function describe(link) {
    if (link.id === "reset") return defaultCaption;
    const label = link.dataset.label || link.textContent.replace(/\s+/g, " ").trim();
    return "Showing " + label + ".";
  }

  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const link = ev.target instanceof Element ? ev.target.closest("a.set") : null;
    if (!link || link.dataset.state === undefined) return;
    ev.preventDefault();
    setState(link.dataset.state);
    if (active) {
      active.classList.remove("active");
      active.removeAttribute("aria-current");
    }
    active = link;
    link.classList.add("active");
    link.setAttribute("aria-current", "true");
    if (now) now.textContent = describe(link);
    showStage(link);
  });

  // "Open in its own tab" opens the app with the state it shows now.
  if (own) {
    const refresh = () => {
      const s = currentState();
      own.href = "app.html" + (s ? "#" + s : "");
    };
    for (const type of ["pointerdown", "focus", "mouseenter", "contextmenu"]) {
      own.addEventListener(type, refresh);
    }
  }

  // A state in the article's own URL (index.html#target=rings) starts the
  // app with it; section anchors (#results) have no "=" and stay anchors.
  const initial = location.hash.replace(/^#/, "");
  if (initial.includes("=")) {
    setState(initial);
    if (now) now.textContent = "Showing the view from this page’s address.";
  }
})();
