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
