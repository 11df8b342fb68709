"""The word glosses' dictionary: first-load time and memory of the Chinese and English indexes,
and one warm lookup (docs/translation.md, "Word glosses"). Run: PYTHONPATH=src python bench/glossary_load.py"""

import os
import time


def rss() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    import rjieba

    rjieba.cut("预热")  # rjieba's own dictionary, which every app loads anyway
    from redbridge.glossary.queries import gloss_text
    from redbridge.translation.glossary import default_glossary

    glossary = default_glossary()
    r0 = rss()
    t = time.perf_counter()
    glossary.lookup("字")
    t1 = time.perf_counter() - t
    r1 = rss()
    t = time.perf_counter()
    glossary.lookup_english("word")
    t2 = time.perf_counter() - t
    r2 = rss()
    t = time.perf_counter()
    for _ in range(200):
        gloss_text("OMG 这个 lipstick 好好看！我們去吃火鍋吧")
    t3 = (time.perf_counter() - t) / 200
    print(f"chinese index {t1:.2f} s +{r1 - r0:.0f} MiB; english index {t2:.2f} s +{r2 - r1:.0f} MiB; "
          f"total RSS {r2:.0f} MiB; gloss_text {t3 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
