/* polydoc built-in theme script: theme toggle, mobile menu, language menu, lazy sidebar
   groups from the locale's TOC JSON, outline highlighting. No dependencies, no network
   requests except that one same-site JSON file. Everything degrades to plain links. */
(function () {
  "use strict";
  var doc = document, root = doc.documentElement;
  root.classList.add("pd-js"); // also set by the inline <head> script; repeated in case CSP blocks it

  function store(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* private mode: ignore */ }
  }

  /* ---- Theme toggle: data-theme on <html>, remembered in localStorage ---- */
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  try {
    var saved = localStorage.getItem("polydoc-theme");
    if ((saved === "light" || saved === "dark") && !root.hasAttribute("data-theme")) root.setAttribute("data-theme", saved);
  } catch (e) { /* ignore */ }
  function isDark() {
    var t = root.getAttribute("data-theme");
    return t ? t === "dark" : !!(dark && dark.matches);
  }
  var themeBtn = doc.getElementById("pd-theme-btn");
  function syncTheme() { if (themeBtn) themeBtn.setAttribute("aria-pressed", String(isDark())); }
  if (themeBtn) {
    themeBtn.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      store("polydoc-theme", next);
      syncTheme();
    });
    if (dark && dark.addEventListener) dark.addEventListener("change", syncTheme);
    syncTheme();
  }

  /* ---- Mobile menu: shows the sidebar under ~900px ---- */
  var menuBtn = doc.getElementById("pd-menu-btn");
  var sidebar = doc.getElementById("pd-sidebar");
  function setMenu(open) {
    root.classList.toggle("pd-nav-open", open);
    if (menuBtn) menuBtn.setAttribute("aria-expanded", String(open));
  }
  if (menuBtn && sidebar) {
    menuBtn.addEventListener("click", function () {
      var open = !root.classList.contains("pd-nav-open");
      setMenu(open);
      if (open) {
        var current = sidebar.querySelector("[aria-current=page]") || sidebar.querySelector("a, summary");
        if (current) current.focus();
      }
    });
  } else if (menuBtn) {
    menuBtn.hidden = true;
  }

  /* ---- Language menu (<details>): close on Escape or outside click; remember the choice ---- */
  var langMenus = doc.querySelectorAll("details.pd-lang");
  doc.addEventListener("click", function (ev) {
    for (var i = 0; i < langMenus.length; i++) {
      if (langMenus[i].open && !langMenus[i].contains(ev.target)) langMenus[i].open = false;
    }
    var a = ev.target.closest && ev.target.closest("a[data-locale]");
    if (a) store("polydoc-locale", a.getAttribute("data-locale"));
  });
  doc.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    for (var i = 0; i < langMenus.length; i++) {
      if (langMenus[i].open) {
        langMenus[i].open = false;
        langMenus[i].querySelector("summary").focus();
        return;
      }
    }
    if (root.classList.contains("pd-nav-open") && menuBtn) {
      setMenu(false);
      menuBtn.focus();
    }
  });

  /* ---- Sidebar: fill collapsed groups from the TOC JSON on first expand ---- */
  if (sidebar) {
    // Bring the current page into view inside a long, independently scrolling sidebar.
    var here = sidebar.querySelector("[aria-current=page]");
    if (here && sidebar.scrollHeight > sidebar.clientHeight) {
      var top = here.getBoundingClientRect().top - sidebar.getBoundingClientRect().top;
      if (top > sidebar.clientHeight * 0.7) sidebar.scrollTop = top - sidebar.clientHeight / 3;
    }
    var localeRoot = sidebar.getAttribute("data-locale-root") || "";
    var tocUrl = sidebar.getAttribute("data-toc-url");
    var tocPromise = null;
    var loadToc = function () {
      if (!tocPromise) {
        tocPromise = (window.fetch && tocUrl ? fetch(tocUrl) : Promise.reject(new Error("no fetch")))
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
      }
      return tocPromise;
    };
    var resolve = function (href) {
      if (!href) return "";
      return /^([a-z][a-z0-9+.-]*:|\/|#)/i.test(href) ? href : localeRoot + href;
    };
    var el = function (tag, cls, text) {
      var e = doc.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    };
    // Same markup as the sidebar macro in macros.html.
    var build = function (items) {
      var ul = el("ul", "pd-tree");
      items.forEach(function (it) {
        var li = el("li"), href = resolve(it.href), kids = it.children && it.children.length;
        if (href) {
          var a = el("a", "pd-tree-link", it.title);
          a.href = href;
          li.appendChild(a);
        }
        if (kids) {
          var d = el("details", href ? "pd-tree-toggle" : "pd-tree-group");
          var s = el("summary");
          if (href) s.appendChild(el("span", "pd-sr", it.title)); else s.textContent = it.title;
          d.appendChild(s);
          d.setAttribute("data-pd-lazy", "");
          d.pdItems = it.children;
          li.appendChild(d);
        } else if (!href) {
          li.appendChild(el("span", "pd-tree-heading", it.title));
        }
        ul.appendChild(li);
      });
      return ul;
    };
    // Position of a server-rendered <li> in the tree: its index among siblings, then its ancestors'.
    var pathOf = function (li) {
      var path = [];
      while (li && sidebar.contains(li)) {
        path.unshift(Array.prototype.indexOf.call(li.parentNode.children, li));
        li = li.parentNode.closest("li");
      }
      return path;
    };
    var fill = function (d, items) {
      d.removeAttribute("data-pd-lazy");
      if (items && items.length) d.appendChild(build(items));
    };
    sidebar.addEventListener("toggle", function (ev) {
      var d = ev.target;
      if (!d.open || !d.hasAttribute("data-pd-lazy") || d.pdLoading) return;
      if (d.pdItems) { fill(d, d.pdItems); return; }
      d.pdLoading = true;
      var path = pathOf(d.closest("li"));
      loadToc().then(function (toc) {
        var node = { children: toc };
        for (var i = 0; i < path.length && node; i++) node = (node.children || [])[path[i]];
        fill(d, node && node.children);
      }).catch(function () {
        sidebar.classList.add("pd-toc-failed"); // e.g. file:// pages: keep the open path only
        d.open = false;
      }).then(function () { d.pdLoading = false; });
    }, true);
  }

  /* ---- Outline: highlight the section being read ---- */
  var outline = doc.querySelector(".pd-outline");
  if (outline && "IntersectionObserver" in window) {
    var links = outline.querySelectorAll("a[href^='#']"), byId = {}, heads = [], visible = {};
    for (var i = 0; i < links.length; i++) {
      var id = links[i].getAttribute("href").slice(1);
      try { id = decodeURIComponent(id); } catch (e) { /* keep it as written */ }
      var h = doc.getElementById(id);
      if (h) { byId[id] = links[i]; heads.push(h); }
    }
    var mark = function () {
      var best = null;
      for (var j = 0; j < heads.length; j++) {
        if (visible[heads[j].id]) { best = heads[j].id; break; }
      }
      if (!best) return;
      for (var k in byId) byId[k].classList.toggle("pd-current", k === best);
    };
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { visible[e.target.id] = e.isIntersecting; });
      mark();
    }, { rootMargin: "0px 0px -65% 0px" });
    heads.forEach(function (h2) { io.observe(h2); });
  }
})();
