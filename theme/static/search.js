/* polydoc search box: wires the header's <input type="search"> to the locale's index in
   <locale>/_search/ (found through the form's data-pd-index, a relative URL, so the site
   works below any path). A query reads index.json, then only the term chunks its words
   fall in, the pages' lengths (for BM25) and the page chunks of the results it shows.

   Words are cut as polydoc cuts them at build time (src/search/tokenize.rs): at ASCII
   spaces and punctuation, and pieces with other characters by Intl.Segmenter, whose
   dictionaries cut Chinese into words. Ranking is src/search/query.rs's: every word must
   match (the last may be unfinished), pages with the words in their title first, then in a
   heading, then by BM25 score. Keep the three in step.

   The box is an ARIA combobox: arrow keys move through the results, Enter opens one,
   Escape closes the list; a polite live region announces the count. */
(function () {
  "use strict";
  var doc = document;
  var input = doc.getElementById("pd-search");
  var panel = doc.getElementById("pd-search-results");
  if (!input || !panel || !input.form) return;
  var form = input.form;
  var indexBase = form.getAttribute("data-pd-index") || "_search/";
  var localeRoot = form.getAttribute("data-pd-locale-root") || "";
  var MAX_RESULTS = 10;
  var MAX_EXPANSIONS = 64;    // src/search/query.rs
  var MAX_PREFIX_CHUNKS = 3;  // src/search/query.rs
  var EXCERPT_CHARS = 180;

  function text(key, values) {
    var s = panel.getAttribute("data-" + key) || "";
    for (var k in values) s = s.split("{" + k + "}").join(values[k]);
    return s;
  }

  /* ---- Words: as src/search/tokenize.rs cuts them ---- */
  var segmenter = null;
  try {
    if (window.Intl && Intl.Segmenter) segmenter = new Intl.Segmenter(doc.documentElement.lang || undefined, { granularity: "word" });
  } catch (e) { segmenter = null; }

  function words(query) {
    var out = [];
    var seen = {};
    var add = function (w) {
      if (!Object.prototype.hasOwnProperty.call(seen, w)) { seen[w] = true; out.push(w); }
    };
    var pieces = query.split(/[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+/);
    for (var i = 0; i < pieces.length; i++) {
      var piece = pieces[i];
      if (!piece) continue;
      if (/^[\x00-\x7f]*$/.test(piece) || !segmenter) { add(piece.toLowerCase()); continue; }
      for (var s of segmenter.segment(piece)) {
        if (s.isWordLike) add(s.segment.toLowerCase());
      }
    }
    return out;
  }

  // One ASCII letter as the last word would match a good part of the index.
  function isPrefixWord(word) { return /[^\x00-\x7f]/.test(word) || word.length >= 2; }

  /* ---- Index files, each fetched once ---- */
  var files = {};
  function fetchJson(name) {
    if (!files[name]) {
      files[name] = fetch(new URL(indexBase + name, location.href).href).then(function (response) {
        if (!response.ok) throw new Error(name + ": HTTP " + response.status);
        return response.json();
      });
      files[name].catch(function () { delete files[name]; });
    }
    return files[name];
  }

  // The number of items of sorted `list` for which `before(item)` holds.
  function partitionPoint(list, before) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (before(list[mid])) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function chunkFiles(chunks, word, prefix) {
    var at = Math.max(0, partitionPoint(chunks, function (c) { return c[0] <= word; }) - 1);
    var out = chunks[at] ? [chunks[at][1]] : [];
    for (var i = at + 1; prefix && i < chunks.length && out.length < MAX_PREFIX_CHUNKS && chunks[i][0].startsWith(word); i++) {
      out.push(chunks[i][1]);
    }
    return out;
  }

  // The pages' lengths (one character per page, a step of a log scale; see
  // src/search/index.rs) and their average, for BM25.
  var LENGTH_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var LENGTH_STEP = 1.2, K1 = 1.2, B = 0.75;
  var decoded = {};
  function lengthsOf(digits) {
    var steps = [], sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var step = LENGTH_DIGITS.indexOf(digits.charAt(i));
      var length = step > 0 ? Math.pow(LENGTH_STEP, step - 1) : 0;
      steps.push(length);
      sum += length;
    }
    return { steps: steps, average: Math.max(1, sum / Math.max(1, steps.length)) };
  }

  function addPostings(found, postings, pages, lengths, weight) {
    var n = postings.length / 2;
    var idf = Math.log(1 + (pages - n + 0.5) / (n + 0.5));
    var page = 0;
    for (var i = 0; i + 1 < postings.length; i += 2) {
      page += postings[i];
      var count = Math.floor(postings[i + 1] / 4);
      var length = page < lengths.steps.length ? lengths.steps[page] : lengths.average;
      var norm = 1 - B + B * length / lengths.average;
      var score = count * (K1 + 1) / (count + K1 * norm) * idf * weight;
      var place = postings[i + 1] & 3;
      var had = found.get(page);
      if (had) { had[0] = Math.max(had[0], score); had[1] = Math.max(had[1], place); }
      else found.set(page, [score, place]);
    }
  }

  // Every matching page id, best first: [[page, tier, score], …].
  function rank(entry, query) {
    var list = words(query);
    if (!list.length) return Promise.resolve({ words: list, hits: [] });
    var wanted = list.map(function (word, i) {
      var prefix = i === list.length - 1 && isPrefixWord(word);
      return { word: word, prefix: prefix, files: chunkFiles(entry.term_chunks, word, prefix) };
    });
    var names = [entry.lengths];
    wanted.forEach(function (w) { w.files.forEach(function (f) { if (names.indexOf(f) < 0) names.push(f); }); });
    return Promise.all(names.map(fetchJson)).then(function (loaded) {
      var chunks = {};
      names.forEach(function (name, i) { chunks[name] = loaded[i]; });
      var lengths = decoded[entry.lengths] || (decoded[entry.lengths] = lengthsOf(chunks[entry.lengths]));
      var perWord = wanted.map(function (w) {
        var found = new Map();
        var expansions = 0;
        w.files.forEach(function (name) {
          var terms = chunks[name];
          var k = partitionPoint(terms, function (t) { return t[0] < w.word; });
          for (; k < terms.length && expansions < MAX_EXPANSIONS; k++) {
            var exact = terms[k][0] === w.word;
            if (!exact && !(w.prefix && terms[k][0].startsWith(w.word))) break;
            expansions++;
            addPostings(found, terms[k][1], entry.pages, lengths, exact ? 1 : 0.7);
          }
        });
        return found;
      });
      var hits = [];
      perWord[0].forEach(function (_, page) {
        var tier = 3, score = 0;
        for (var i = 0; i < perWord.length; i++) {
          var m = perWord[i].get(page);
          if (!m) return;
          tier = Math.min(tier, m[1]);
          score += m[0];
        }
        hits.push([page, tier, score]);
      });
      hits.sort(function (a, b) { return b[1] - a[1] || b[2] - a[2] || a[0] - b[0]; });
      return { words: list, hits: hits };
    });
  }

  // The [url, title, text] of each page id, reading only the chunks they are in.
  function pagesOf(entry, ids) {
    var at = ids.map(function (id) {
      return Math.max(0, partitionPoint(entry.page_chunks, function (c) { return c[0] <= id; }) - 1);
    });
    return Promise.all(at.map(function (i) { return fetchJson(entry.page_chunks[i][1]); })).then(function (chunks) {
      return ids.map(function (id, n) { return chunks[n][id - entry.page_chunks[at[n]][0]]; });
    });
  }

  /* ---- Highlighting ---- */
  function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // Matches the query's words in text: ASCII words at a word start, the last one up to the
  // end of the word it begins; longest first, so "containers" wins over "container".
  function matcher(list) {
    var parts = list.map(function (word, i) {
      var ascii = /^[\x00-\x7f]*$/.test(word);
      var p = escapeRegExp(word);
      // The index cuts ASCII words at anything but ASCII letters and digits (so "的Windows"
      // holds the word "windows").
      if (ascii) p = "(?<![A-Za-z0-9])" + p;
      if (i === list.length - 1 && ascii) p += "[A-Za-z0-9]*";
      return p;
    });
    parts.sort(function (a, b) { return b.length - a.length; });
    try { return new RegExp(parts.join("|"), "giu"); } catch (e) { return null; }
  }

  function appendMarked(into, s, re) {
    if (!re) { into.appendChild(doc.createTextNode(s)); return; }
    re.lastIndex = 0;
    var last = 0, m;
    while ((m = re.exec(s)) !== null) {
      if (!m[0]) { re.lastIndex++; continue; }
      if (m.index > last) into.appendChild(doc.createTextNode(s.slice(last, m.index)));
      var mark = doc.createElement("mark");
      mark.textContent = m[0];
      into.appendChild(mark);
      last = m.index + m[0].length;
    }
    if (last < s.length) into.appendChild(doc.createTextNode(s.slice(last)));
  }

  // The part of the page's text around the first match.
  function excerpt(body, re) {
    var start = 0;
    if (re) {
      re.lastIndex = 0;
      var m = re.exec(body);
      if (m) start = Math.max(0, m.index - 50);
    }
    if (start > 0) {
      var space = body.indexOf(" ", start);
      if (space >= 0 && space < start + 15) start = space + 1;
    }
    var end = Math.min(body.length, start + EXCERPT_CHARS);
    return (start > 0 ? "…" : "") + body.slice(start, end) + (end < body.length ? "…" : "");
  }

  /* ---- Markup: a status line (also announced), then the listbox of results ---- */
  var status = doc.createElement("p");
  status.className = "pd-search-status";
  status.id = "pd-search-status";
  var list = doc.createElement("div");
  list.id = "pd-search-listbox";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", text("label"));
  list.hidden = true;
  panel.appendChild(status);
  panel.appendChild(list);
  // Screen readers hear the count from a live region outside the popup, which may be
  // hidden when the count changes.
  var live = doc.createElement("p");
  live.className = "pd-sr";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  form.appendChild(live);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-describedby", status.id);

  var active = -1;
  var generation = 0;
  var timer = 0;

  function open(isOpen) {
    panel.hidden = !isOpen;
    input.setAttribute("aria-expanded", String(isOpen && !list.hidden));
    if (!isOpen) setActive(-1);
  }

  function setStatus(message) {
    status.textContent = message;
    live.textContent = message;
  }

  function options() { return list.querySelectorAll("[role=option]"); }

  function setActive(index) {
    var all = options();
    if (active >= 0 && all[active]) all[active].setAttribute("aria-selected", "false");
    active = all.length ? index : -1;
    if (active >= 0) {
      var option = all[active];
      option.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(query, found, pages) {
    list.textContent = "";
    var re = matcher(found.words);
    pages.forEach(function (page, i) {
      if (!page) return;
      var option = doc.createElement("a");
      option.id = "pd-search-option-" + i;
      option.className = "pd-search-result";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("tabindex", "-1");
      option.href = localeRoot + page[0];
      var title = doc.createElement("span");
      title.className = "pd-search-title";
      appendMarked(title, page[1] || page[0], re);
      var snippet = doc.createElement("span");
      snippet.className = "pd-search-excerpt";
      appendMarked(snippet, excerpt(page[2] || "", re), re);
      option.appendChild(title);
      option.appendChild(snippet);
      list.appendChild(option);
    });
    var total = found.hits.length;
    list.hidden = total === 0;
    // Which query the list answers (typing outpaces searching); tests wait on it too.
    list.setAttribute("data-query", query);
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (total === 0) setStatus(text("none", { query: query }));
    else setStatus(total === 1 ? text("one") : text("many", { count: String(total) }));
    open(true);
  }

  function failed(error) {
    list.textContent = "";
    list.hidden = true;
    setStatus(location.protocol === "file:" ? text("offline") : text("error"));
    open(true);
    if (window.console) console.warn("polydoc search:", error);
  }

  function search(query) {
    var mine = ++generation;
    if (!query.trim()) {
      list.textContent = "";
      list.removeAttribute("data-query");
      setStatus("");
      open(false);
      return;
    }
    if (panel.hidden || !status.textContent) {
      setStatus(text("loading"));
      list.hidden = true;
      open(true);
    }
    fetchJson("index.json").then(function (entry) {
      return rank(entry, query).then(function (found) {
        if (mine !== generation) return null;
        var top = found.hits.slice(0, MAX_RESULTS).map(function (h) { return h[0]; });
        return pagesOf(entry, top).then(function (pages) {
          if (mine === generation) render(query, found, pages);
        });
      });
    }).catch(function (error) {
      if (mine === generation) failed(error);
    });
  }

  /* ---- Events ---- */
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value); }, 120);
  });
  input.addEventListener("focus", function () {
    // Start loading the small entry file while the reader types.
    fetchJson("index.json").catch(function () { /* shown when the reader searches */ });
    if (input.value.trim() && status.textContent) open(true);
  });
  input.addEventListener("keydown", function (ev) {
    var count = options().length;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (panel.hidden && input.value.trim()) open(true);
      if (!count) return;
      ev.preventDefault();
      var step = ev.key === "ArrowDown" ? 1 : -1;
      setActive(active < 0 ? (step > 0 ? 0 : count - 1) : (active + step + count) % count);
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      // Enter opens the highlighted result, or the best one when none is highlighted.
      var chosen = options()[active >= 0 ? active : 0];
      if (chosen) location.href = chosen.href;
    } else if (ev.key === "Escape") {
      if (!panel.hidden) {
        ev.preventDefault();
        ev.stopPropagation();
        open(false);
      } else if (input.value) {
        ev.preventDefault();
        input.value = "";
        search("");
      }
    }
  });
  // The form has no server to go to: Enter is handled above.
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  // Pointer users: hovering a result makes it the active one; clicking follows the link.
  list.addEventListener("mousemove", function (ev) {
    var option = ev.target.closest && ev.target.closest("[role=option]");
    if (!option) return;
    var index = Array.prototype.indexOf.call(options(), option);
    if (index !== active) setActive(index);
  });
  doc.addEventListener("click", function (ev) {
    if (!form.contains(ev.target)) open(false);
  });
  form.addEventListener("focusout", function (ev) {
    if (ev.relatedTarget && !form.contains(ev.relatedTarget)) open(false);
  });

  // ?q= in the address (the form's own submission without script, or a shared link).
  var initial = window.URLSearchParams ? new URLSearchParams(location.search).get("q") : null;
  if (initial) {
    input.value = initial;
    search(initial);
  }
})();
