import onnxProto from 'onnx-proto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TokentagError } from '../errors.ts';
import { writeFilesAtomic } from '../io/atomic.ts';
import { lowerComposites } from './composite.ts';
import { elideOutputIdentities } from './passes.ts';
import { onnxDataType, type TensorData } from './dtype.ts';
import type { Attr, Graph, Value } from './graph.ts';

const { onnx } = onnxProto;

/** Protobuf messages cannot exceed 2 GiB; larger weights go to an external data file. */
const PROTOBUF_LIMIT = 2 ** 31 - 64 * 2 ** 20;

export interface SerializeOptions {
  /** Whether initializers go to a side file; default: only when the model would exceed 2 GiB. */
  externalData?: boolean;
  /** The side file's name (default `<graph name>.onnx_data`). */
  externalDataFile?: string;
  /** Initializers smaller than this stay inline even with external data (default 1 KiB). */
  externalThreshold?: number;
  producerName?: string;
  /** `metadata_props` of the ModelProto: free key/value pairs (tokentag records what a model was exported from). */
  metadata?: Readonly<Record<string, string>>;
}

export interface SerializedModel {
  /** The ModelProto bytes. */
  model: Uint8Array;
  /** The external data file's name and contents, when weights were moved out of the ModelProto. */
  external?: { fileName: string; chunks: Uint8Array[]; byteLength: number };
}

function bytesOf(t: TensorData): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function valueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnxDataType[v.dtype],
        shape: v.shape
          ? { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) }
          : undefined,
      },
    },
  };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: { dims: [...a.value.dims], dataType: onnxDataType[a.value.dtype], rawData: bytesOf(a.value) } };
  }
}

/** Encodes a graph as an ONNX ModelProto (IR version 8, default domain at the graph's opset). */
export function serializeModel(source: Graph, opts: SerializeOptions = {}): SerializedModel {
  const graph = elideOutputIdentities(lowerComposites(source));
  let total = 0;
  for (const t of graph.initializers.values()) total += t.data.byteLength;
  const externalFile = opts.externalData ?? total > PROTOBUF_LIMIT ? (opts.externalDataFile ?? `${graph.name}.onnx_data`) : undefined;
  const threshold = opts.externalThreshold ?? 1024;
  const chunks: Uint8Array[] = [];
  let offset = 0;

  const initializer: onnxProto.onnx.ITensorProto[] = [];
  for (const [name, t] of graph.initializers) {
    const raw = bytesOf(t);
    const proto: onnxProto.onnx.ITensorProto = { name, dims: [...t.dims], dataType: onnxDataType[t.dtype] };
    if (externalFile && raw.byteLength >= threshold) {
      // Keep each tensor 64-byte aligned so ORT can map it directly.
      const pad = (64 - (offset % 64)) % 64;
      if (pad) chunks.push(new Uint8Array(pad));
      offset += pad;
      proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      proto.externalData = [
        { key: 'location', value: externalFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ];
      chunks.push(raw);
      offset += raw.byteLength;
    } else {
      proto.rawData = raw;
    }
    initializer.push(proto);
  }

  const model = onnx.ModelProto.encode({
    irVersion: 8,
    producerName: opts.producerName ?? 'tokentag',
    opsetImport: [{ domain: '', version: graph.opset }],
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        opType: n.op,
        name: n.name,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a)),
      })),
      initializer,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
    ...(opts.metadata ? { metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })) } : {}),
  }).finish();
  return externalFile ? { model, external: { fileName: externalFile, chunks, byteLength: offset } } : { model };
}

export interface SavedModel {
  bytes: number;
  externalData?: { file: string; bytes: number };
}

/**
 * Writes the model to `file`, and its weights to `<file>_data` beside it when they go to
 * external data (beyond 2 GiB, or when asked): the name Optimum and transformers.js use. Both
 * files are written before either is renamed into place, so a failure leaves a previous model
 * intact; a stale `<file>_data` is removed when the new model keeps its weights inline.
 */
export function saveModel(graph: Graph, file: string, opts: Omit<SerializeOptions, 'externalDataFile'> = {}): SavedModel {
  const target = path.resolve(file);
  const dataFile = `${target}_data`;
  if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new TokentagError(`${target}: exists and is a directory`);
  const s = serializeModel(graph, { ...opts, externalDataFile: path.basename(dataFile) });
  writeFilesAtomic([...(s.external ? [{ file: dataFile, chunks: s.external.chunks }] : []), { file: target, chunks: s.model }]);
  // A data file left by an earlier, larger model would describe other weights.
  if (!s.external && fs.statSync(dataFile, { throwIfNoEntry: false })?.isFile()) fs.rmSync(dataFile);
  return { bytes: s.model.byteLength, ...(s.external ? { externalData: { file: dataFile, bytes: s.external.byteLength } } : {}) };
}

// ---- reading a model's header without loading it ------------------------------------------

/** What {@link readOnnxInfo} finds: the ModelProto's metadata and the graph's outputs. */
export interface OnnxInfo {
  readonly metadata: Readonly<Record<string, string>>;
  readonly outputs: readonly { readonly name: string; readonly dims: readonly (number | string | null)[] }[];
}

/** Top-level fields of a protobuf message in `fd` between `start` and `end`: (field, offset, length) of each length-delimited one. */
function scanFields(fd: number, start: number, end: number, file: string): { field: number; offset: number; length: number }[] {
  const buf = Buffer.alloc(20);
  const out: { field: number; offset: number; length: number }[] = [];
  let pos = start;
  const varint = (): number => {
    const n = fs.readSync(fd, buf, 0, Math.min(10, end - pos), pos);
    let v = 0;
    let mul = 1;
    for (let i = 0; i < n; i++) {
      v += (buf[i]! & 0x7f) * mul;
      mul *= 128;
      if ((buf[i]! & 0x80) === 0) {
        pos += i + 1;
        return v;
      }
    }
    throw new TokentagError(`${file}: not an ONNX model (a malformed protobuf varint at byte ${pos})`);
  };
  while (pos < end) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const length = varint();
        out.push({ field, offset: pos, length });
        pos += length;
        break;
      }
      default:
        throw new TokentagError(`${file}: not an ONNX model (protobuf wire type ${tag & 7} at byte ${pos})`);
    }
  }
  if (pos !== end) throw new TokentagError(`${file}: not an ONNX model (truncated)`);
  return out;
}

/**
 * Reads the metadata and the output shapes of an ONNX model file without loading its weights:
 * only the field headers are read, and the large fields (the graph's initializers) are skipped.
 */
export function readOnnxInfo(file: string): OnnxInfo {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const read = (offset: number, length: number) => {
      const b = Buffer.alloc(length);
      fs.readSync(fd, b, 0, length, offset);
      return b;
    };
    const metadata: Record<string, string> = {};
    const outputs: { name: string; dims: (number | string | null)[] }[] = [];
    for (const f of scanFields(fd, 0, size, file)) {
      if (f.field === 14) {
        const e = onnx.StringStringEntryProto.decode(read(f.offset, f.length));
        metadata[e.key] = e.value;
      } else if (f.field === 7) {
        for (const g of scanFields(fd, f.offset, f.offset + f.length, file)) {
          if (g.field !== 12) continue;
          const v = onnx.ValueInfoProto.decode(read(g.offset, g.length));
          const dims = v.type?.tensorType?.shape?.dim ?? [];
          outputs.push({ name: v.name, dims: dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : null)) });
        }
      }
    }
    return { metadata, outputs };
  } finally {
    fs.closeSync(fd);
  }
}
