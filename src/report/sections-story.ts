/**
 * The two sections a report opens with: the headline figures of each teacher -> student run (size
 * ratio, retention, agreement, latency speed-up, int8 bytes) and the recorded episodes of teacher
 * and student side by side, embedded as data: URIs so the page stays one self-contained file.
 *
 * Figures come from the run folder's files, the most specific first: eval.json (`rldistill eval`),
 * then headline.json (measured at the end of every distill run), then summary.json.
 */
import { Buffer } from "node:buffer";
import { fmt, fmtBytes, fmtPct, MISSING } from "./format.js";
import { at, isObject, type JsonObject, num, type RunData } from "./load.js";
import type { Block, EpisodeVideo, HeadlineCard, Section } from "./model.js";

interface Figures {
  teacherParams?: number;
  studentParams?: number;
  teacherP50?: number;
  studentP50?: number;
  studentInt8?: number;
  studentF32?: number;
  teacherF32?: number;
  retention?: number;
  agreement?: number;
  teacherReturn?: number;
  studentReturn?: number;
  /** Where the latencies were measured. */
  latencySource?: string;
}

/** The first defined value. */
function first(...values: (number | undefined)[]): number | undefined {
  return values.find((v) => v !== undefined);
}

/** The teacher and student entries of eval.json, when it compared the two. */
function evalPair(run: RunData): { t: JsonObject; s: JsonObject } | null {
  const t = at(run.evalFile, "policies", "teacher");
  const s = at(run.evalFile, "policies", "student");
  return isObject(t) && isObject(s) ? { t, s } : null;
}

/** The headline figures of a run that compares a teacher with a student, else null. */
export function headlineFigures(run: RunData): Figures | null {
  const pair = evalPair(run);
  if (run.kind !== "distill" && !pair) return null;
  const h = run.headline;
  const sum = run.summary;
  const ev = run.evalFile;
  const evalLatency = pair && num(at(pair.t, "latency", "p50Us")) !== undefined;
  return {
    teacherParams: first(
      num(at(pair?.t, "efficiency", "params")),
      num(at(h, "teacher", "params")),
      num(at(sum, "teacher", "params")),
    ),
    studentParams: first(
      num(at(pair?.s, "efficiency", "params")),
      num(at(h, "student", "params")),
      num(at(sum, "student", "params")),
    ),
    teacherP50: evalLatency ? num(at(pair!.t, "latency", "p50Us")) : num(at(h, "teacher", "p50_us")),
    studentP50: evalLatency ? num(at(pair!.s, "latency", "p50Us")) : num(at(h, "student", "p50_us")),
    studentInt8: first(num(at(pair?.s, "efficiency", "bytesInt8")), num(at(h, "student", "bytes_int8"))),
    studentF32: first(num(at(pair?.s, "efficiency", "bytesFloat32")), num(at(h, "student", "bytes_float32"))),
    teacherF32: first(num(at(pair?.t, "efficiency", "bytesFloat32")), num(at(h, "teacher", "bytes_float32"))),
    retention: first(num(at(ev, "retention")), num(at(h, "retention")), num(sum["retention"])),
    agreement: first(num(at(ev, "similarity", "agreement")), num(at(h, "agreement")), num(sum["agreement"])),
    teacherReturn: first(
      num(at(pair?.t, "eval", "meanReturn")),
      num(at(sum, "teacher", "eval", "mean_return")),
    ),
    studentReturn: first(
      num(at(pair?.s, "eval", "meanReturn")),
      num(at(sum, "student", "eval", "mean_return")),
    ),
    latencySource: evalLatency ? "eval.json" : h ? "headline.json" : undefined,
  };
}

/** "66.6×", "1,234×". */
function times(x: number): string {
  return `${x >= 100 ? fmt(Math.round(x)) : x.toFixed(1)}×`;
}

const NOT_MEASURED = "not measured: this run folder has no headline.json or eval.json";

export function headlineCards(f: Figures): HeadlineCard[] {
  const { teacherParams: tp, studentParams: sp, teacherP50: tl, studentP50: sl } = f;
  const ratio = tp && sp !== undefined ? sp / tp : undefined;
  const returns =
    f.studentReturn !== undefined && f.teacherReturn !== undefined
      ? ` (return ${fmt(f.studentReturn)} vs ${fmt(f.teacherReturn)})`
      : "";
  return [
    {
      label: "Size",
      value: ratio === undefined ? MISSING : fmtPct(ratio),
      detail:
        ratio === undefined
          ? NOT_MEASURED
          : `of the teacher's parameters: ${fmt(sp)} vs ${fmt(tp)}${ratio > 0 && ratio < 1 ? `, ${times(1 / ratio)} fewer` : ""}`,
    },
    {
      label: "Retention",
      value: fmtPct(f.retention),
      detail:
        f.retention === undefined
          ? "the teacher is no better than random actions here"
          : `of the teacher's gain over random actions${returns}`,
    },
    {
      label: "Agreement",
      value: fmtPct(f.agreement),
      detail:
        f.agreement === undefined
          ? "continuous actions: compare the JS divergence in the tables below"
          : "of the student's greedy actions match the teacher's, on states the student visits",
    },
    {
      label: "Speed-up",
      value: tl !== undefined && sl ? times(tl / sl) : MISSING,
      detail:
        tl !== undefined && sl !== undefined
          ? `act() p50 ${fmt(sl)} vs ${fmt(tl)} µs, both through the compiled forward, batch 1 (${f.latencySource})`
          : sl !== undefined
            ? `student act() p50 ${fmt(sl)} µs; the teacher has no compiled forward (e.g. ONNX) to time the same way`
            : NOT_MEASURED,
    },
    {
      label: "int8 student",
      value: fmtBytes(f.studentInt8),
      detail:
        f.studentInt8 === undefined
          ? NOT_MEASURED
          : `weights in int8 (float32: ${fmtBytes(f.studentF32)}; teacher float32: ${fmtBytes(f.teacherF32)})`,
    },
  ];
}

export function headlineSection(runs: RunData[]): Section | null {
  const blocks: Block[] = [];
  runs.forEach((run, ri) => {
    const f = headlineFigures(run);
    if (f) blocks.push({ kind: "headline", run: run.name, color: ri, cards: headlineCards(f) });
  });
  return blocks.length ? { id: "headline", title: "Headline", blocks } : null;
}

/** Width and height from a GIF's logical screen descriptor, or null when the bytes are not a GIF. */
export function gifSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 10 || String.fromCharCode(...bytes.subarray(0, 4)) !== "GIF8") return null;
  return { width: bytes[6]! | (bytes[7]! << 8), height: bytes[8]! | (bytes[9]! << 8) };
}

const ORDER = ["teacher", "student"];

function captionOf(run: RunData, name: string): string {
  const v = at(run.videosIndex, "videos", name);
  const returns = Array.isArray(at(v, "returns")) ? (at(v, "returns") as unknown[]).map(num) : [];
  const lengths = Array.isArray(at(v, "lengths")) ? (at(v, "lengths") as unknown[]).map(num) : [];
  const episodes = returns.map((r, i) => `return ${fmt(r)}, ${fmt(lengths[i])} steps`);
  return episodes.length ? `${name}: ${episodes.join("; ")}` : name;
}

export function episodesSection(runs: RunData[]): Section | null {
  const blocks: Block[] = [];
  runs.forEach((run, ri) => {
    const videos: EpisodeVideo[] = [];
    const broken: string[] = [];
    for (const g of run.gifs) {
      const size = gifSize(g.bytes);
      if (!size) {
        broken.push(g.file);
        continue;
      }
      videos.push({
        name: g.name,
        src: `data:image/gif;base64,${Buffer.from(g.bytes).toString("base64")}`,
        ...size,
        caption: captionOf(run, g.name),
        file: g.file,
      });
    }
    const rank = (n: string): number => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
    videos.sort((a, b) => rank(a.name) - rank(b.name));
    if (videos.length) blocks.push({ kind: "videos", run: run.name, color: ri, videos });
    const seed = num(at(run.videosIndex, "seed"));
    if (videos.length > 1 && seed !== undefined)
      blocks.push({
        kind: "note",
        text: `${run.name}: greedy episodes from the same start (seed ${seed}; the first episode an evaluation with this seed runs).`,
      });
    const skipped = at(run.videosIndex, "skipped");
    if (typeof skipped === "string") blocks.push({ kind: "note", text: `${run.name}: ${skipped}.` });
    if (broken.length)
      blocks.push({ kind: "note", text: `${run.name}: not GIF files, left out: ${broken.join(", ")}.` });
  });
  return blocks.length ? { id: "episodes", title: "Episodes", blocks } : null;
}
