/* Site search on /tim-kiem/: the index built with the site (generator/src/render/search/), queried in the browser as
   the reader types. The entry is a few kilobytes at any size; only the chunks holding the query's words are
   downloaded, each word's best pages first and the rest of its pages once the first results are listed, then the
   addresses and pages of the results shown (their title, date and excerpt are read from the page itself; each
   result is listed as soon as it and those above it are in). Without JavaScript the page offers the category
   lists. */
(function () {
  'use strict';
  var form = document.getElementById('tim-kiem');
  var input = document.getElementById('tu-khoa-tim');
  var status = document.getElementById('trang-thai-tim');
  var list = document.getElementById('ket-qua-tim-kiem');
  var filterBox = document.getElementById('bo-loc-tim');
  if (!form || !input || !status || !list) return;
  var selects = Array.prototype.slice.call(form.querySelectorAll('select[data-filter]'));
  var note = document.getElementById('can-javascript');
  if (note) note.hidden = true;
  var PAGE_SIZE = 20;
  var EXCERPT_WORDS = 24;
  var BASE = '/search/';
  var index = null;
  var latest = 0;

  /* ---- The index (written by generator/src/search/: the same folding, the same word boundaries). ---- */

  var WORD = /[\p{Alphabetic}\p{N}\u0300-\u036f]+/gu;
  /* Folds like the generator (site.js, loaded before this file on every page, holds the one copy). */
  var fold = window.cchcFold;
  function words(text) {
    return fold(text).match(WORD) || [];
  }

  /* LEB128 varints, as the chunks are written. */
  function Reader(bytes, at) { this.bytes = bytes; this.at = at || 0; }
  Reader.prototype.next = function () {
    var n = 0, shift = 0, b;
    do {
      b = this.bytes[this.at++];
      n += (b & 0x7f) * Math.pow(2, shift);
      shift += 7;
    } while (b >= 0x80);
    return n;
  };

  /* Every file of the index but the entry is named by its content: fetched once, kept for the page's life. */
  var files = new Map();
  function load(file, as, parse) {
    if (!files.has(file)) {
      files.set(file, fetch(BASE + file).then(function (r) {
        if (!r.ok) throw new Error(file);
        return r[as]();
      }).then(parse));
    }
    return files.get(file);
  }

  /* The chunks of a tree (the entry's `words` or `addresses`) whose keys `pick` chooses, level by level through
     the directory pages: `pick(list)` returns the positions in a [[first key, file], …] list to follow. Resolves to
     the chosen [first key, file] entries of the chunks. */
  function treeFiles(tree, pick) {
    function level(list, depth) {
      var chosen = pick(list).map(function (i) { return list[i]; });
      if (depth === 0) return Promise.resolve(chosen);
      return Promise.all(chosen.map(function (entry) {
        return load(entry[1], 'json', function (x) { return x; }).then(function (sub) {
          return level(sub, depth - 1);
        });
      })).then(function (lists) { return [].concat.apply([], lists); });
    }
    return level(tree.list, tree.depth);
  }

  /* The last position in `list` whose first key is at most `key` (0 if none is). */
  function floor(list, key) {
    var lo = 0, hi = list.length - 1, at = 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid][0] <= key) { at = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return at;
  }

  /* A word chunk: the name of its positions file, and its words → their entries (still encoded). The chunks of
     the blocks after the heads have the same form. */
  function chunk(file) {
    return load(file, 'arrayBuffer', function (buffer) {
      var bytes = new Uint8Array(buffer);
      var reader = new Reader(bytes);
      var length = reader.next();
      var positions = new TextDecoder().decode(bytes.subarray(reader.at, reader.at + length));
      reader.at += length;
      return { positions: positions, words: entries(bytes, reader) };
    });
  }

  /* `<word><bytes>` entries, each with its length before it, to the end of `bytes`: word → bytes. */
  function entries(bytes, reader) {
    var decoder = new TextDecoder();
    var found = new Map();
    while (reader.at < bytes.length) {
      var length = reader.next();
      var word = decoder.decode(bytes.subarray(reader.at, reader.at + length));
      reader.at += length;
      var size = reader.next();
      found.set(word, bytes.subarray(reader.at, reader.at + size));
      reader.at += size;
    }
    return found;
  }

  /* `count` pages from `reader`: page number → { n: occurrences, title: in the title }, in page order. */
  function readPages(reader, count) {
    var pages = new Map();
    var page = 0;
    for (var i = 0; i < count; i++) {
      page += reader.next();
      var flags = reader.next();
      pages.set(page, { n: Math.floor(flags / 2), title: flags % 2 === 1 });
    }
    return pages;
  }

  /* The byte length of the positions of each GROUP_PAGES pages of a part of `count` pages: where one page's
     positions are in the part's positions file. Only a list cut into head and blocks has them. */
  var GROUP_PAGES = 8;
  function readGroups(reader, count) {
    var lengths = [];
    for (var i = 0; i < count; i += GROUP_PAGES) lengths.push(reader.next());
    return lengths;
  }

  /* How much a word weighs on a page, before its rarity: the generator orders each word's pages by it. */
  function weight(n, title) {
    return Math.log(1 + n) + (title ? 4 : 0);
  }

  /* The chunks that may hold `word` (or, for a prefix, every word starting with it). */
  function chunkFiles(word, prefix) {
    return treeFiles(index.words, function (list) {
      if (list.length === 0) return [];
      var at = floor(list, word);
      var picked = [at];
      if (prefix) {
        for (var i = at + 1; i < list.length && list[i][0].lastIndexOf(word, 0) === 0; i++) picked.push(i);
      }
      return picked;
    });
  }

  /* The index words a query word matches: itself and, for a prefix (the word being typed), the longer words it
     begins, which count less. Each term holds its head (the pages where it weighs most: all of them for most words)
     and, if it has more pages, where the further blocks of its list are (each larger than the one before, the pages
     where it weighs less and less) with the weight of the weightiest page in each. */
  var lookups = new Map();
  function lookup(word, prefix) {
    var key = word + (prefix ? '*' : '');
    if (!lookups.has(key)) lookups.set(key, find(word, prefix));
    return lookups.get(key);
  }
  function find(word, prefix) {
    return chunkFiles(word, prefix).then(function (chunks) {
      return Promise.all(chunks.map(function (entry) { return chunk(entry[1]); }));
    }).then(function (chunks) {
      var terms = [];
      chunks.forEach(function (c) {
        c.words.forEach(function (bytes, term) {
          var exact = term === word;
          if (!exact && !(prefix && term.lastIndexOf(word, 0) === 0)) return;
          var reader = new Reader(bytes);
          var total = reader.next();
          var head = { pages: readPages(reader, reader.next()), positions: c.positions };
          if (total > head.pages.size) {
            head.at = reader.next();
            head.groups = readGroups(reader, head.pages.size);
          }
          var found = {
            word: term,
            exact: exact,
            total: total,
            idf: Math.log(1 + index.pages / total),
            factor: exact ? 1 : 0.5,
            head: head,
            blocks: []
          };
          while (reader.at < bytes.length) {
            var flags = reader.next();
            var length = reader.next();
            found.blocks.push({
              weight: weight(Math.floor(flags / 2), flags % 2 === 1),
              file: new TextDecoder().decode(bytes.subarray(reader.at, reader.at + length)),
              read: null
            });
            reader.at += length;
          }
          terms.push(found);
        });
      });
      return terms;
    });
  }

  /* A block of a term's list after its head: its pages, and its positions file. Read once. */
  function blockOf(term, block) {
    if (!block.read) {
      block.read = chunk(block.file).then(function (c) {
        var reader = new Reader(c.words.get(term.word) || new Uint8Array(0));
        var pages = readPages(reader, reader.next());
        return { pages: pages, positions: c.positions, at: reader.next(), groups: readGroups(reader, pages.size) };
      });
    }
    return block.read;
  }

  /* The parts of a term's list to score: its head and its first `depth` blocks. */
  function partsOf(term, depth) {
    var blocks = term.blocks.slice(0, depth).map(function (block) { return blockOf(term, block); });
    return Promise.all(blocks).then(function (read) { return [term.head].concat(read); });
  }

  /* A query word's pages, scored: page → score (a page's best among the terms), and `bound`, the most a page not
     listed, or listed below it, may still score in the blocks not read (-Infinity when every list was read whole). */
  function scored(terms, parts) {
    var group = { scores: new Map(), bound: -Infinity, size: 0 };
    terms.forEach(function (term, t) {
      group.size += term.total;
      parts[t].forEach(function (part) {
        part.pages.forEach(function (hit, page) {
          var score = term.idf * weight(hit.n, hit.title) * term.factor;
          if (!(group.scores.get(page) >= score)) group.scores.set(page, score);
        });
      });
      var next = term.blocks[parts[t].length - 1];
      if (next) group.bound = Math.max(group.bound, term.idf * next.weight * term.factor);
    });
    return group;
  }

  /* A phrase word's positions on the pages of `parts` (its head and the blocks read): page → positions, read from
     each part's positions file. Positions are read for quoted phrases only: they are much larger than the pages. */
  function positionsOf(word, parts) {
    return Promise.all(parts.map(function (part) { return partPositions(word, part); })).then(function (maps) {
      var all = new Map();
      maps.forEach(function (map) { map.forEach(function (list, page) { all.set(page, list); }); });
      return all;
    });
  }

  /* A word's positions on each page of one part of its list, from the part's whole positions file. Decoded once a
     part (a part is one word's). */
  function partPositions(word, part) {
    if (!part.decoded) {
      part.decoded = load(part.positions, 'arrayBuffer', function (buffer) {
        var bytes = new Uint8Array(buffer);
        return entries(bytes, new Reader(bytes));
      }).then(function (words) {
        var reader = new Reader(words.get(word) || new Uint8Array(0));
        var positions = new Map();
        part.pages.forEach(function (hit, page) { positions.set(page, readPositions(reader, hit.n)); });
        return positions;
      });
    }
    return part.decoded;
  }

  /* `n` positions, each written as its difference from the one before (from 0 on each page). */
  function readPositions(reader, n) {
    var list = new Array(n);
    var position = 0;
    for (var j = 0; j < n; j++) { position += reader.next(); list[j] = position; }
    return list;
  }

  /* A word's positions on `page` from the part of its list that holds the page: only the group of GROUP_PAGES
     pages it is in, an HTTP range of the part's positions file (a server that ignores the range sends the whole
     file, and the group is cut from it). What a quoted phrase reads to check its first results, a few hundred bytes
     a word rather than whole positions files. A list read whole says nowhere where its positions are: its file is
     read whole. */
  var ranges = new Map();
  function positionsOn(word, part, page) {
    if (!part.groups) return partPositions(word, part).then(function (map) { return map.get(page); });
    if (!part.list) {
      part.list = Array.from(part.pages.keys());
      part.order = new Map(part.list.map(function (p, i) { return [p, i]; }));
    }
    var first = Math.floor(part.order.get(page) / GROUP_PAGES) * GROUP_PAGES;
    var start = part.at;
    for (var g = 0; g < first / GROUP_PAGES; g++) start += part.groups[g];
    var end = start + part.groups[first / GROUP_PAGES];
    var key = part.positions + '#' + start;
    if (!ranges.has(key)) {
      var range = 'bytes=' + start + '-' + (end - 1);
      ranges.set(key, fetch(BASE + part.positions, { headers: { Range: range } }).then(function (r) {
        if (!r.ok) throw new Error(part.positions);
        return r.arrayBuffer().then(function (buffer) {
          var bytes = new Uint8Array(buffer);
          return r.status === 206 ? bytes : bytes.subarray(start, end);
        });
      }).then(function (bytes) {
        var reader = new Reader(bytes);
        var group = new Map();
        part.list.slice(first, first + GROUP_PAGES).forEach(function (p) {
          group.set(p, readPositions(reader, part.pages.get(p).n));
        });
        return group;
      }));
    }
    return ranges.get(key).then(function (group) { return group.get(page); });
  }

  /* Whether every phrase (each word's parts read) stands on `page`, from its words' positions there alone. */
  function phrasesOn(page, phrases) {
    return Promise.all(phrases.map(function (phrase) {
      return Promise.all(phrase.map(function (word) {
        var part = word.parts.filter(function (p) { return p.pages.has(page); })[0];
        return part ? positionsOn(word.word, part, page) : null;
      })).then(function (lists) {
        return together(page, lists.map(function (list) { return new Map(list ? [[page, list]] : []); }));
      });
    })).then(function (each) { return each.every(Boolean); });
  }

  /* Whether the words of `phrase` (their positions, in order) stand side by side on `page`. */
  function together(page, phrase) {
    var first = phrase[0].get(page);
    if (!first) return false;
    var rest = phrase.slice(1).map(function (positions) { return new Set(positions.get(page) || []); });
    return first.some(function (p) {
      return rest.every(function (set, i) { return set.has(p + i + 1); });
    });
  }

  /* The pages of a filter's value, fetched when the filter is chosen. */
  function filterSet(name, value) {
    var known = (index.filters[name] || {})[value];
    if (!known) return Promise.resolve(new Set());
    return load(known[1], 'text', function (text) {
      var set = new Set();
      var page = 0;
      text.split(',').forEach(function (d) {
        if (d) { page += Number(d); set.add(page); }
      });
      return set;
    });
  }

  /* The query: quoted phrases, loose words, and the last word as a prefix while it is being typed. */
  function parse(query) {
    var phrases = [];
    var loose = query.replace(/"([^"]*)"?/g, function (_, inner) {
      var w = words(inner);
      if (w.length) phrases.push(w);
      return ' ';
    });
    var free = words(loose);
    var typing = /[\p{Alphabetic}\p{N}\u0300-\u036f]$/u.test(query) && free.length > 0;
    var prefix = typing && free[free.length - 1].length >= 2 ? free[free.length - 1] : null;
    return { phrases: phrases, free: free, prefix: prefix };
  }

  /* Pages matching every word and phrase and every chosen filter, best first: { results: [{ page, score }],
     parsed }. Each word's head is read first, then its next blocks one level at a time until the first results are
     certain (no page of a block not read could pass them); those are given to `early`, and the rest of the lists are
     read once the promise it returns settles, so that on a slow line the first result does not share the line with
     them. */
  function search(query, filters, early) {
    var parsed = parse(query);
    // Text with no word in it (punctuation only) finds nothing, rather than everything.
    if (query.trim() && parsed.free.length === 0 && parsed.phrases.length === 0) {
      return Promise.resolve({ results: [], parsed: parsed });
    }
    var names = Object.keys(filters);
    var allowed = Promise.all(names.map(function (name) { return filterSet(name, filters[name]); }));
    var free = Promise.all(parsed.free.map(function (w, i) {
      return lookup(w, parsed.prefix !== null && i === parsed.free.length - 1);
    }));
    var phrases = Promise.all(parsed.phrases.map(function (phrase) {
      return Promise.all(phrase.map(function (w) { return lookup(w, false); }));
    }));
    return Promise.all([free, phrases, allowed]).then(function (found) {
      var words = { free: found[0], phrases: found[1], sets: found[2], parsed: parsed };
      function deeper(depth) {
        return rank(words, depth).then(function (first) {
          if (first.complete) return first;
          if (first.results.length === 0 || !early) return deeper(depth + 1);
          return Promise.resolve(early(first)).then(function () { return rank(words, Infinity); });
        });
      }
      return deeper(0);
    });
  }

  /* Ranks the pages the query's lists give, each read to its first `depth` blocks after the head (Infinity: whole).
     `complete` says whether `results` are all the results; if not, they are those certain to come first, in order. */
  function rank(words, depth) {
    function parts(terms) { return Promise.all(terms.map(function (t) { return partsOf(t, depth); })); }
    var free = Promise.all(words.free.map(parts));
    var phrases = Promise.all(words.phrases.map(function (phrase) {
      return Promise.all(phrase.map(function (terms) {
        // A phrase word is looked up whole, not as a prefix: its one term is the word itself, if it is indexed.
        return parts(terms).then(function (p) {
          return { group: scored(terms, p), word: terms.length ? terms[0].word : null, parts: p[0] || [] };
        });
      }));
    }));
    return Promise.all([free, phrases]).then(function (read) {
      var groups = read[0].map(function (p, i) { return scored(words.free[i], p); });
      read[1].forEach(function (phrase) { phrase.forEach(function (word) { groups.push(word.group); }); });
      var found = order(groups, words.sets);
      if (read[1].length === 0) return settle(found, words.parsed, null);
      if (depth === Infinity || found.undecided === -Infinity) return wholePhrases(found, read[1], words.parsed);
      return firstOfPhrases(found, read[1]).then(function (first) {
        return first ? { results: first, parsed: words.parsed, complete: false }
          : wholePhrases(found, read[1], words.parsed);
      });
    });
  }

  /* The first results of a quoted phrase, checked candidate by candidate (best first, then CHECKS_AT_ONCE at once)
     from its words' positions on that page alone: the first that hold the phrase, once every candidate above
     them was checked; none (an empty list) if no candidate certain to come first holds it, so that the lists are
     read deeper; null past MOST_CHECKS candidates, so that whole positions files are read instead. */
  var CHECKS_AT_ONCE = 4;
  var MOST_CHECKS = 16;
  function firstOfPhrases(found, phrases) {
    var sure = found.results.filter(function (r) { return r.score > found.undecided; });
    function from(at) {
      if (at >= sure.length) return Promise.resolve([]);
      if (at >= MOST_CHECKS) return Promise.resolve(null);
      // The best candidate alone first: it is the first result unless the phrase is rare among them.
      var batch = sure.slice(at, at + (at === 0 ? 1 : CHECKS_AT_ONCE));
      return Promise.all(batch.map(function (r) { return phrasesOn(r.page, phrases); })).then(function (held) {
        var first = batch.filter(function (_, i) { return held[i]; });
        return first.length ? first : from(at + batch.length);
      });
    }
    return from(0);
  }

  /* The results whose pages hold every phrase, from its words' whole positions files (the parts read). */
  function wholePhrases(found, phrases, parsed) {
    return Promise.all(phrases.map(function (phrase) {
      return Promise.all(phrase.map(function (word) {
        return word.word === null ? new Map() : positionsOf(word.word, word.parts);
      }));
    })).then(function (positions) {
      return settle(found, parsed, function (page) {
        return positions.every(function (phrase) { return together(page, phrase); });
      });
    });
  }

  /* The ranked results that `keep` keeps (all, if it is null): all of them if no page is undecided
     (`complete`), else those ranked above every undecided page. */
  function settle(found, parsed, keep) {
    var results = keep ? found.results.filter(function (r) { return keep(r.page); }) : found.results;
    if (found.undecided === -Infinity) return { results: results, parsed: parsed, complete: true };
    var sure = 0;
    while (sure < results.length && results[sure].score > found.undecided) sure++;
    return { results: results.slice(0, sure), parsed: parsed, complete: false };
  }

  /* The pages of scored groups (every one must hold a page) and filter sets, best first, and the most a page some
     group has only a bound for (`undecided`) may score: such a page is not ranked, and only the results ranked
     above it are certain. */
  function order(groups, sets) {
    var candidates;
    var unseen = -Infinity;
    // Scores are summed in the order of the lists' lengths, whichever parts were read, so that a page's score is
    // the same number in the first results and in the whole list.
    groups = groups.slice().sort(function (a, b) { return a.size - b.size; });
    if (groups.length === 0) {
      candidates = [];
      for (var p = 0; p < index.pages; p++) candidates.push(p);
    } else {
      var whole = groups.filter(function (g) { return g.bound === -Infinity; });
      if (whole.length > 0) {
        // A page outside a list read whole is not a result: the smallest such list names every candidate.
        whole.sort(function (a, b) { return a.scores.size - b.scores.size; });
        candidates = Array.from(whole[0].scores.keys());
      } else {
        var union = new Set();
        groups.forEach(function (g) { g.scores.forEach(function (_, page) { union.add(page); }); });
        candidates = Array.from(union);
        // A page in no head may still be in every tail.
        unseen = 0;
        groups.forEach(function (g) { unseen += g.bound; });
      }
    }
    var results = [];
    var undecided = unseen;
    candidates.forEach(function (page) {
      if (!sets.every(function (set) { return set.has(page); })) return;
      var score = 0, most = 0, known = true;
      for (var i = 0; i < groups.length; i++) {
        var s = groups[i].scores.get(page);
        var bound = groups[i].bound;
        if (s === undefined && bound === -Infinity) return;
        if (s !== undefined && s >= bound) {
          score += s;
          most += s;
        } else {
          known = false;
          most += bound;
        }
      }
      if (!known) {
        undecided = Math.max(undecided, most);
        return;
      }
      results.push({ page: page, score: score });
    });
    results.sort(function (a, b) { return b.score - a.score || a.page - b.page; });
    return { results: results, undecided: undecided };
  }

  /* A page's address and top-level section, from its address chunk (one line per page:
     `<section number>,<shared with the previous address>,<rest>`). */
  function address(page) {
    var first;
    return treeFiles(index.addresses, function (list) { return [floor(list, page)]; }).then(function (found) {
      first = found[0][0];
      return load(found[0][1], 'text', function (text) {
        var pages = [];
        var previous = '';
        text.split('\n').forEach(function (line) {
          if (!line) return;
          var a = line.indexOf(','), b = line.indexOf(',', a + 1);
          previous = previous.slice(0, Number(line.slice(a + 1, b))) + line.slice(b + 1);
          pages.push({ url: previous, muc: index.sections[Number(line.slice(0, a))] });
        });
        return pages;
      });
    }).then(function (pages) {
      if (!pages[page - first]) throw new Error('page ' + page);
      return pages[page - first];
    });
  }

  /* What a result shows, read from its page: title, date and text (the article without its title). Its address
     and page are asked for once `after` settles: the other results of a screen wait for the first, so that on a
     slow line the first result does not share the line with nineteen others. Each page is read once (the first
     results are listed again with the whole list). */
  var fragments = new Map();
  function fragment(page, after) {
    if (!fragments.has(page)) {
      var read = readFragment(page, after);
      fragments.set(page, read);
      read.catch(function () { fragments.delete(page); });
    }
    return fragments.get(page);
  }
  function readFragment(page, after) {
    var url, muc;
    return Promise.resolve(after).then(function () {
      return address(page);
    }).then(function (found) {
      url = found.url;
      muc = found.muc;
      return fetch(url);
    }).then(function (r) {
      if (!r.ok) throw new Error(url);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var article = doc.querySelector('main article') || doc.querySelector('main') || doc.body;
      var heading = article.querySelector('h1');
      var time = article.querySelector('header time');
      var title = heading ? heading.textContent.trim() : url;
      var sample = Boolean(article.querySelector('.badge-sample'));
      if (heading) heading.remove();
      var parts = [];
      var walker = doc.createTreeWalker(article, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) parts.push(walker.currentNode.nodeValue);
      return {
        url: url,
        title: title,
        sample: sample,
        muc: muc,
        ngay: time ? time.textContent.trim() : '',
        text: parts.join(' ').replace(/\s+/g, ' ').trim()
      };
    });
  }

  /* About EXCERPT_WORDS words around the first match (a phrase's, if there is one): [{ text, mark }], or null if
     `text` has no match. */
  function excerpt(text, parsed) {
    var tokens = [];
    var m;
    WORD.lastIndex = 0;
    while ((m = WORD.exec(text)) !== null) tokens.push({ at: m.index, end: m.index + m[0].length, word: fold(m[0]) });
    var exact = new Set(parsed.free);
    parsed.phrases.forEach(function (phrase) { phrase.forEach(function (w) { exact.add(w); }); });
    function marked(word) {
      return exact.has(word) || (parsed.prefix !== null && word.lastIndexOf(parsed.prefix, 0) === 0);
    }
    var center = -1;
    parsed.phrases.some(function (phrase) {
      for (var i = 0; i + phrase.length <= tokens.length; i++) {
        if (phrase.every(function (w, j) { return tokens[i + j].word === w; })) { center = i; return true; }
      }
      return false;
    });
    // A phrase found in the title only: the caller cuts the excerpt from the title.
    if (center < 0 && parsed.phrases.length > 0) return null;
    if (center < 0) {
      for (var i = 0; i < tokens.length; i++) if (marked(tokens[i].word)) { center = i; break; }
    }
    if (center < 0) return null;
    var start = Math.max(0, center - 6);
    var end = Math.min(tokens.length, start + EXCERPT_WORDS);
    var parts = [];
    if (start > 0) parts.push({ text: '… ', mark: false });
    for (var k = start; k < end; k++) {
      if (k > start) parts.push({ text: text.slice(tokens[k - 1].end, tokens[k].at), mark: false });
      parts.push({ text: text.slice(tokens[k].at, tokens[k].end), mark: marked(tokens[k].word) });
    }
    if (end < tokens.length) parts.push({ text: ' …', mark: false });
    return parts;
  }

  /* ---- The page. ---- */

  function excerptNode(parts) {
    var p = document.createElement('p');
    p.className = 'search-excerpt';
    parts.forEach(function (part) {
      if (part.mark) {
        var mark = document.createElement('mark');
        mark.textContent = part.text;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(part.text));
      }
    });
    return p;
  }

  function resultItem(data, parsed) {
    var li = document.createElement('li');
    var h2 = document.createElement('h2');
    var a = document.createElement('a');
    a.href = data.url;
    a.textContent = data.title || data.url;
    h2.appendChild(a);
    if (data.sample) {
      var badge = document.createElement('span');
      badge.className = 'badge badge-sample';
      badge.textContent = 'Nội dung minh hoạ';
      h2.appendChild(document.createTextNode(' '));
      h2.appendChild(badge);
    }
    li.appendChild(h2);
    var about = [data.muc, data.ngay].filter(Boolean).join(' · ');
    if (about) {
      var meta = document.createElement('p');
      meta.className = 'meta';
      meta.textContent = about;
      li.appendChild(meta);
    }
    var parts = excerpt(data.text || '', parsed) || excerpt(data.title || '', parsed);
    if (parts) li.appendChild(excerptNode(parts));
    return li;
  }

  function chosenFilters() {
    var filters = {};
    selects.forEach(function (select) {
      if (select.value) filters[select.getAttribute('data-filter')] = select.value;
    });
    return filters;
  }

  function syncUrl(query) {
    var params = new URLSearchParams();
    if (query) params.set('q', query);
    selects.forEach(function (select) {
      if (select.value) params.set(select.name, select.value);
    });
    var search = params.toString();
    history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
  }

  function fillFilters(available, wanted) {
    selects.forEach(function (select) {
      var values = Object.keys(available[select.getAttribute('data-filter')] || {});
      values.sort(function (a, b) { return select.name === 'nam' ? b.localeCompare(a) : a.localeCompare(b, 'vi'); });
      values.forEach(function (value) {
        var option = document.createElement('option');
        option.value = value;
        option.textContent = value;
        select.appendChild(option);
      });
      var want = wanted.get(select.name);
      if (want && values.indexOf(want) !== -1) select.value = want;
      select.closest('div').hidden = values.length === 0;
    });
    if (filterBox) filterBox.hidden = false;
  }

  /* Announced once the results are on the page, so a screen reader hears the count of what it can read. */
  function announce(total, query) {
    retried = false;
    var words = query ? '«' + query + '»' : 'bộ lọc đã chọn';
    list.removeAttribute('aria-busy');
    status.textContent = total
      ? 'Có ' + total + ' kết quả cho ' + words + '.'
      : 'Không tìm thấy kết quả nào cho ' + words + '. Hãy thử từ khóa khác hoặc bỏ bớt bộ lọc.';
    list.hidden = total === 0;
  }

  function run() {
    var query = input.value.trim();
    var filters = chosenFilters();
    var ticket = ++latest;
    syncUrl(query);
    if (!query && Object.keys(filters).length === 0) {
      status.textContent = '';
      list.removeAttribute('aria-busy');
      list.hidden = true;
      list.textContent = '';
      return;
    }
    // Until the new results are listed, the list says it is being updated.
    list.setAttribute('aria-busy', 'true');
    // The first results the words' heads decide are listed while the rest of their lists load; the whole list then
    // replaces them (the same results first, their pages already read).
    search(query, filters, function (first) {
      return ticket === latest ? showFrom(first, 0, ticket, function () {}, true) : null;
    }).then(function (found) {
      if (ticket !== latest) return;
      showFrom(found, 0, ticket, function () { announce(found.results.length, query); });
    }).catch(function () { stale(ticket); });
  }

  /* Loads and lists PAGE_SIZE results from `from` on (the first batch replaces the list), each as soon as it and
     those above it are in, then offers the next (unless `partial`: the results are only the first of more). A
     listing from 0 supersedes the one before it. Returns a promise settled once the first of them is loaded. */
  var listing = 0;
  function showFrom(found, from, ticket, shown, partial) {
    var batch = found.results.slice(from, from + PAGE_SIZE);
    var items = new Array(batch.length);
    var listed = 0;
    var mine = from === 0 ? ++listing : listing;
    function listReady() {
      if (ticket !== latest || mine !== listing) return;
      if (from === 0 && listed === 0 && (batch.length === 0 || items[0])) list.textContent = '';
      while (listed < batch.length && items[listed]) list.appendChild(resultItem(items[listed++], found.parsed));
      if (listed < batch.length) return;
      if (!partial && found.results.length > from + listed) addMore(found, from + listed, ticket);
      shown();
    }
    if (batch.length === 0) { listReady(); return null; }
    var first = null;
    batch.forEach(function (r, i) {
      var loaded = fragment(r.page, first).then(function (data) {
        items[i] = data;
        listReady();
      });
      loaded.catch(function () { stale(ticket); });
      if (i === 0) first = loaded.catch(function () {});
    });
    return first;
  }

  function addMore(found, from, ticket) {
    var li = document.createElement('li');
    li.className = 'search-more';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'button secondary';
    button.textContent = 'Xem thêm kết quả';
    li.appendChild(button);
    list.appendChild(li);
    button.addEventListener('click', function () {
      li.remove();
      showFrom(found, from, ticket, function () {
        // Focus moves to the first new result, so a keyboard user continues where the list grew.
        var first = list.children[from] && list.children[from].querySelector('a');
        if (first) first.focus();
      });
    });
  }

  var timer = null;
  function schedule() {
    clearTimeout(timer);
    // The address follows the box at once, so a reload while the query waits (the preview reloads the page when the
    // site is rebuilt) runs it rather than losing it.
    syncUrl(input.value.trim());
    timer = setTimeout(run, 150);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });

  var wanted = new URLSearchParams(location.search);
  // Text typed before the script ran (a slow line, or the preview's reload) is kept when the address has no query.
  if (wanted.has('q') || !input.value) input.value = wanted.get('q') || '';
  status.textContent = 'Đang tải chỉ mục tìm kiếm…';
  function failed() {
    list.removeAttribute('aria-busy');
    status.textContent = 'Không tải được chỉ mục tìm kiếm. Bạn vẫn có thể tra cứu theo danh mục bên dưới.';
    list.hidden = true;
    if (note) note.hidden = false;
  }

  /* The entry is small and changes with every build: revalidated each time (the files it names never change, but
     a build or a deploy deletes those the new entry no longer names). */
  function loadEntry() {
    return fetch(BASE + 'index.json', { cache: 'no-cache' }).then(function (r) {
      if (!r.ok) throw new Error('index.json');
      return r.json();
    }).then(function (entry) {
      if (entry.format !== FORMAT) return reloadFor(entry.format);
      forgetReload();
      index = entry;
      files.clear();
      ranges.clear();
      lookups.clear();
      fragments.clear();
    });
  }

  /* The layout of the index this script reads (the generator's search::FORMAT). Another means the index was written
     by another version: a deploy since this page was loaded, or a cache still serving the older of the two. The page
     is then loaded again, once for that layout (its new script reads it); if it still does not match, search is
     reported unavailable. */
  var FORMAT = 3;
  var RELOADED = 'cchc-tim-kiem-tai-lai';
  function reloadFor(format) {
    var tried;
    try {
      tried = sessionStorage.getItem(RELOADED) === String(format);
      sessionStorage.setItem(RELOADED, String(format));
    } catch (e) {
      tried = true;
    }
    if (tried) throw new Error('index format ' + format);
    location.reload();
    return new Promise(function () {});
  }
  function forgetReload() {
    try { sessionStorage.removeItem(RELOADED); } catch (e) { /* nothing was kept */ }
  }

  /* A file the entry named could not be read: the site was rebuilt since the entry was. Read the new entry and run
     the query again, once; a second failure is reported. */
  var retried = false;
  var reloading = false;
  function stale(ticket) {
    if (ticket !== latest || reloading) return;
    if (retried) return failed();
    retried = reloading = true;
    loadEntry().then(function () {
      reloading = false;
      run();
    }).catch(failed);
  }

  loadEntry().then(function () {
    var entry = index;
    fillFilters(entry.filters, wanted);
    status.textContent = '';
    input.addEventListener('input', schedule);
    selects.forEach(function (select) { select.addEventListener('change', run); });
    run();
  }).catch(failed);
})();
