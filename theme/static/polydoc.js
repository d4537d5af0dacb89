/* polydoc built-in theme script: theme toggle, mobile menu, language menu, sidebar toggles
   filled lazily from the locale's TOC JSON, outline highlighting, DocFX tabs, zone pivots and
   the image lightbox. No dependencies, no network
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

  /* ---- Sidebar: collapsed entries get a toggle, filled from the TOC JSON on first expand ---- */
  if (sidebar) {
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
    // toc.json's hrefs are relative to the locale folder; made relative to the page as the
    // server writes its sidebar links (render::below): `../../x/`, `../../` for `./`.
    var upToLocale = localeRoot === "./" ? "" : localeRoot;
    var resolve = function (href) {
      if (!href || /^([a-z][a-z0-9+.-]*:|\/|#)/i.test(href)) return href || "";
      if (upToLocale && href.slice(0, 2) === "./") href = href.slice(2);
      return upToLocale + href;
    };
    var el = function (tag, cls, text) {
      var e = doc.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    };
    // The markup of the sidebar macro in macros.html for collapsed entries.
    var build = function (items) {
      var ul = el("ul");
      items.forEach(function (it) {
        var li = el("li"), href = resolve(it.href);
        if (href) {
          var a = el("a", "", it.title);
          a.setAttribute("href", href);
          li.appendChild(a);
        } else {
          li.appendChild(el("span", "pd-tree-heading", it.title));
        }
        if (it.children && it.children.length) {
          li.setAttribute("data-pd-kids", "");
          li.pdItems = it.children;
        }
        ul.appendChild(li);
      });
      return ul;
    };
    // A collapsed entry with children (li[data-pd-kids]) gets a toggle to fill later: a
    // chevron after its link, named by the link's text, or, for a group without a link,
    // a <summary> in place of its heading.
    var enhance = function (scope) {
      var entries = scope.querySelectorAll("li[data-pd-kids]");
      for (var i = 0; i < entries.length; i++) {
        var li = entries[i], first = li.firstElementChild, linked = !!first && first.tagName === "A";
        var d = el("details", linked ? "pd-tree-toggle" : "pd-tree-group"), s = el("summary");
        if (linked) s.appendChild(el("span", "pd-sr", first.textContent));
        else s.textContent = first ? first.textContent : "";
        d.appendChild(s);
        d.setAttribute("data-pd-lazy", "");
        if (li.pdItems) d.pdItems = li.pdItems;
        li.removeAttribute("data-pd-kids");
        if (linked || !first) li.appendChild(d); else li.replaceChild(d, first);
      }
      // A run of entries the server left out of a long level (li[data-pd-more]) becomes a
      // button that puts them in its place.
      var runs = scope.querySelectorAll("li[data-pd-more] > .pd-tree-more");
      for (var j = 0; j < runs.length; j++) {
        var b = el("button", "pd-tree-more", runs[j].textContent);
        b.type = "button";
        runs[j].parentNode.replaceChild(b, runs[j]);
      }
    };
    enhance(sidebar);
    // Bring the current page into view inside a long, independently scrolling sidebar.
    var here = sidebar.querySelector("[aria-current=page]");
    if (here && sidebar.scrollHeight > sidebar.clientHeight) {
      var top = here.getBoundingClientRect().top - sidebar.getBoundingClientRect().top;
      if (top > sidebar.clientHeight * 0.7) sidebar.scrollTop = top - sidebar.clientHeight / 3;
    }
    // Position of an entry in the tree: its index among siblings, then its ancestors', as
    // in toc.json (a run of entries left out counts as the entries it stands for).
    var runLength = function (li) { return parseInt(li.getAttribute("data-pd-more"), 10) || 0; };
    var indexOf = function (li) {
      var index = 0;
      for (var e = li.previousElementSibling; e; e = e.previousElementSibling) {
        index += e.hasAttribute("data-pd-more") ? runLength(e) : 1;
      }
      return index;
    };
    var pathOf = function (li) {
      var path = [];
      while (li && sidebar.contains(li)) {
        path.unshift(indexOf(li));
        li = li.parentNode.closest("li");
      }
      return path;
    };
    var childrenAt = function (toc, path) {
      var node = { children: toc };
      for (var i = 0; i < path.length && node; i++) node = (node.children || [])[path[i]];
      return (node && node.children) || [];
    };
    var fill = function (d, items) {
      d.removeAttribute("data-pd-lazy");
      if (items && items.length) {
        var ul = build(items);
        enhance(ul);
        d.appendChild(ul);
      }
    };
    sidebar.addEventListener("toggle", function (ev) {
      var d = ev.target;
      if (!d.open || !d.hasAttribute("data-pd-lazy") || d.pdLoading) return;
      if (d.pdItems) { fill(d, d.pdItems); return; }
      d.pdLoading = true;
      var path = pathOf(d.closest("li"));
      loadToc().then(function (toc) {
        fill(d, childrenAt(toc, path));
      }).catch(function () {
        sidebar.classList.add("pd-toc-failed"); // e.g. file:// pages: keep the open path only
        d.open = false;
      }).then(function () { d.pdLoading = false; });
    }, true);
    sidebar.addEventListener("click", function (ev) {
      var b = ev.target.closest && ev.target.closest("button.pd-tree-more");
      if (!b || b.disabled) return;
      var li = b.parentNode, count = runLength(li), start = indexOf(li);
      // The entry whose children the run is of (none at the roots: pathOf gives []).
      var owner = li.parentNode.closest("li");
      b.disabled = true;
      loadToc().then(function (toc) {
        var ul = build(childrenAt(toc, pathOf(owner)).slice(start, start + count));
        enhance(ul);
        var first = ul.firstElementChild;
        while (ul.firstElementChild) li.parentNode.insertBefore(ul.firstElementChild, li);
        li.parentNode.removeChild(li);
        var link = first && first.querySelector("a, summary, button");
        if (link) link.focus();
      }).catch(function () {
        sidebar.classList.add("pd-toc-failed");
      });
    });
  }

  /* ---- Code blocks and tables wider than the column scroll sideways; keyboard users
     reach the hidden part by focusing them (WCAG 2.1.1). Only the ones that scroll. ---- */
  var scrollables = doc.querySelectorAll("main pre, main table");
  var markScrollable = function () {
    for (var i = 0; i < scrollables.length; i++) {
      var el = scrollables[i];
      if (el.scrollWidth > el.clientWidth + 1) el.setAttribute("tabindex", "0");
      else if (el.getAttribute("tabindex") === "0") el.removeAttribute("tabindex");
    }
  };
  if (scrollables.length) {
    markScrollable();
    window.addEventListener("resize", markScrollable);
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

  /* ---- DocFX tabs: one panel per group; a choice applies to every group with that tab,
     is remembered (localStorage, most recent first) and can come from ?tabs=a,b. ---- */
  var tabGroups = doc.querySelectorAll(".pd-tabs");
  if (tabGroups.length) {
    var chosen = [];
    try { chosen = JSON.parse(localStorage.getItem("polydoc-tabs") || "[]"); } catch (e) { chosen = []; }
    if (!Array.isArray(chosen)) chosen = [];
    var query = window.URLSearchParams ? new URLSearchParams(location.search).get("tabs") : null;
    if (query) chosen = query.split(",").concat(chosen);
    var tabsOf = function (group) {
      var list = group.querySelector(".pd-tablist");
      return list ? Array.prototype.slice.call(list.querySelectorAll("[role=tab]")) : [];
    };
    var show = function (group, tab) {
      tabsOf(group).forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        var panel = doc.getElementById(t.getAttribute("aria-controls"));
        if (panel) panel.hidden = !on;
      });
    };
    // Groups without dependent tabs first: their choices decide which dependent tabs
    // (`#tab/id/condition`) other groups offer.
    var apply = function () {
      var selected = [];
      var ordered = Array.prototype.slice.call(tabGroups).sort(function (a, b) {
        return (a.querySelector("[data-condition]") ? 1 : 0) - (b.querySelector("[data-condition]") ? 1 : 0);
      });
      ordered.forEach(function (group) {
        var tabs = tabsOf(group).filter(function (t) {
          var condition = t.getAttribute("data-condition");
          t.hidden = !!condition && selected.indexOf(condition) < 0;
          return !t.hidden;
        });
        if (!tabs.length) return;
        var pick = tabs[0], rank = Infinity;
        tabs.forEach(function (t) {
          var at = chosen.indexOf(t.getAttribute("data-tab"));
          if (at >= 0 && at < rank) { rank = at; pick = t; }
        });
        show(group, pick);
        selected.push(pick.getAttribute("data-tab"));
      });
    };
    var choose = function (tab) {
      var id = tab.getAttribute("data-tab");
      chosen = [id].concat(chosen.filter(function (c) { return c !== id; })).slice(0, 20);
      store("polydoc-tabs", JSON.stringify(chosen));
      // Other groups may change height: keep the clicked tab where the reader sees it.
      var before = tab.getBoundingClientRect().top;
      apply();
      window.scrollBy(0, tab.getBoundingClientRect().top - before);
    };
    tabGroups.forEach(function (group) {
      var list = group.querySelector(".pd-tablist");
      if (!list) return;
      list.hidden = false;
      group.classList.add("pd-tabs-ready");
      list.addEventListener("click", function (ev) {
        var tab = ev.target.closest("[role=tab]");
        if (tab && list.contains(tab)) choose(tab);
      });
      list.addEventListener("keydown", function (ev) {
        var tabs = tabsOf(group).filter(function (t) { return !t.hidden; });
        var at = tabs.indexOf(doc.activeElement);
        if (at < 0) return;
        var next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[ev.key];
        if (next === undefined) return;
        ev.preventDefault();
        var tab = tabs[(next + tabs.length) % tabs.length];
        tab.focus();
        choose(tab);
      });
    });
    apply();
    // A link to an anchor inside a hidden panel selects that panel's tab.
    var reveal = function () {
      var id = decodeURIComponent(location.hash.slice(1));
      var target = id && doc.getElementById(id);
      var panel = target && target.closest && target.closest(".pd-tabpanel");
      if (!panel || !panel.hidden) return;
      var tab = doc.getElementById(panel.getAttribute("aria-labelledby"));
      if (tab) { choose(tab); target.scrollIntoView(); }
    };
    window.addEventListener("hashchange", reveal);
    reveal();
  }

  /* ---- Zone pivots: show the zones of one pivot (?pivots=x, else the last choice, else the first) ---- */
  var pivotBar = doc.querySelector(".pd-pivots");
  if (pivotBar) {
    var pivotButtons = Array.prototype.slice.call(pivotBar.querySelectorAll("[data-pivot]"));
    var names = pivotButtons.map(function (b) { return b.getAttribute("data-pivot"); });
    var zones = doc.querySelectorAll(".zone.has-pivot");
    var showPivot = function (name) {
      pivotButtons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-pivot") === name)); });
      for (var z = 0; z < zones.length; z++) {
        var target = zones[z].getAttribute("data-target");
        if (target && target !== "docs") continue;
        zones[z].hidden = zones[z].getAttribute("data-pivot").split(" ").indexOf(name) < 0;
      }
    };
    var wanted = window.URLSearchParams ? new URLSearchParams(location.search).get("pivots") : null;
    var remembered = null;
    try { remembered = localStorage.getItem("polydoc-pivot"); } catch (e) { /* ignore */ }
    var first = [wanted, remembered].filter(function (n) { return n && names.indexOf(n) >= 0; })[0] || names[0];
    pivotBar.addEventListener("click", function (ev) {
      var button = ev.target.closest("[data-pivot]");
      if (!button) return;
      var name = button.getAttribute("data-pivot");
      showPivot(name);
      store("polydoc-pivot", name);
      if (window.URL && history.replaceState) {
        var url = new URL(location.href);
        url.searchParams.set("pivots", name);
        history.replaceState(null, "", url);
      }
    });
    pivotBar.hidden = false;
    root.classList.add("pd-zones-ready");
    showPivot(first);
  }

  /* ---- Image lightbox: the full image in a modal dialog; without script the link opens it ---- */
  if (window.HTMLDialogElement) {
    doc.addEventListener("click", function (ev) {
      var a = ev.target.closest && ev.target.closest("a.pd-lightbox");
      if (!a || ev.button || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault();
      var dialog = doc.createElement("dialog");
      dialog.className = "pd-lightbox-dialog";
      var close = doc.createElement("button");
      close.type = "button";
      close.className = "pd-lightbox-close";
      close.textContent = "\u00d7";
      close.setAttribute("aria-label", a.getAttribute("data-close-label") || "Close");
      var img = doc.createElement("img");
      img.src = a.href;
      var thumb = a.querySelector("img");
      img.alt = thumb ? thumb.alt : "";
      dialog.appendChild(close);
      dialog.appendChild(img);
      doc.body.appendChild(dialog);
      dialog.addEventListener("close", function () { dialog.remove(); a.focus(); });
      dialog.addEventListener("click", function () { dialog.close(); });
      dialog.showModal();
      close.focus();
    });
  }
})();
