import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../src/errors.ts';
import { parseInferenceRequest, parseJsonBody } from '../../src/server/request.ts';

const limits = { room: 62, defaultStrategy: 'simple' } as const;
const parse = (body: unknown) => parseInferenceRequest(body, limits);

function refused(f: () => unknown, pattern: RegExp, status = 400): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof RequestError, `expected a RequestError, got ${String(e)}`);
    assert.equal(e.status, status);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('Inference API request bodies', () => {
  it('one text, a list of texts, pre-split words: what the pipeline takes, and the answer nesting', () => {
    assert.deepEqual(parse({ inputs: 'Ada' }), { kind: 'texts', texts: ['Ada'], single: true, options: { aggregationStrategy: 'simple' } });
    assert.deepEqual(parse({ inputs: ['Ada', ''] }), { kind: 'texts', texts: ['Ada', ''], single: false, options: { aggregationStrategy: 'simple' } });
    const words = parse({ inputs: ['Ada', 'Lovelace'], parameters: { is_split_into_words: true } });
    assert.deepEqual(words, { kind: 'words', sentences: [['Ada', 'Lovelace']], single: true, options: { aggregationStrategy: 'simple' } });
    const batch = parse({ inputs: [['Ada'], ['Paris', 'London']], parameters: { is_split_into_words: true } });
    assert.deepEqual(batch, { kind: 'words', sentences: [['Ada'], ['Paris', 'London']], single: false, options: { aggregationStrategy: 'simple' } });
  });

  it('parameters become call options (strategy case-insensitive, as Python upper-cases it); null means default', () => {
    const r = parse({ inputs: 'x', parameters: { aggregation_strategy: 'FIRST', ignore_labels: ['O', 'MISC'], stride: 61 }, options: { wait_for_model: true, use_cache: false } });
    assert.deepEqual(r.options, { aggregationStrategy: 'first', ignoreLabels: ['O', 'MISC'], stride: 61 });
    assert.deepEqual(parse({ inputs: 'x', parameters: null }).options, { aggregationStrategy: 'simple' });
    assert.deepEqual(parse({ inputs: 'x', parameters: { aggregation_strategy: null, stride: null } }).options, { aggregationStrategy: 'simple' });
    assert.equal(parseInferenceRequest({ inputs: 'x' }, { room: 62, defaultStrategy: 'none' }).options.aggregationStrategy, 'none');
  });

  it('every malformed body is a 400 that names the key and what was expected', () => {
    refused(() => parse([1]), /must be a JSON object with "inputs", got an array/);
    refused(() => parse(null), /got null/);
    refused(() => parse({}), /"inputs" is missing/);
    refused(() => parse({ inputs: 3 }), /"inputs" must be a string or an array of strings, got number/);
    refused(() => parse({ inputs: { text: 'x' } }), /got object/);
    refused(() => parse({ inputs: '' }), /empty string/);
    refused(() => parse({ inputs: [] }), /empty array/);
    refused(() => parse({ inputs: ['a', 2] }), /"inputs"\[1\] must be a string, got number/);
    refused(() => parse({ inputs: 'x', extra: 1 }), /unknown key "extra" \(expected inputs, parameters, options\)/);
    refused(() => parse({ inputs: 'x', parameters: { aggregation: 'simple' } }), /unknown parameter "aggregation" \(expected aggregation_strategy, ignore_labels, stride, is_split_into_words\)/);
    refused(() => parse({ inputs: 'x', parameters: { delimiter: ' ' } }), /unknown parameter "delimiter"/);
    refused(() => parse({ inputs: 'x', parameters: [] }), /"parameters" must be an object, got an array/);
    refused(() => parse({ inputs: 'x', options: { wait: 1 } }), /unknown option "wait"/);
    refused(() => parse({ inputs: 'x', options: 'fast' }), /"options" must be an object/);
    refused(() => parse({ inputs: 'x', parameters: { aggregation_strategy: 'longest' } }), /"aggregation_strategy": aggregation strategy must be one of none, simple, first, average, max/);
    refused(() => parse({ inputs: 'x', parameters: { aggregation_strategy: 1 } }), /aggregation strategy must be one of/);
    refused(() => parse({ inputs: 'x', parameters: { ignore_labels: 'O' } }), /"ignore_labels" must be an array of strings, got string/);
    refused(() => parse({ inputs: 'x', parameters: { ignore_labels: ['O', null] } }), /"ignore_labels"\[1\] must be a string, got null/);
    for (const stride of [-1, 62, 1.5, '3']) refused(() => parse({ inputs: 'x', parameters: { stride } }), /"stride" must be an integer from 0 to 61/);
    refused(() => parse({ inputs: ['a'], parameters: { is_split_into_words: 'yes' } }), /"is_split_into_words" must be true or false, got string/);
    refused(() => parse({ inputs: 'Ada Lovelace', parameters: { is_split_into_words: true } }), /must be an array of words or an array of such arrays, got string/);
    refused(() => parse({ inputs: [], parameters: { is_split_into_words: true } }), /empty/);
    refused(() => parse({ inputs: [['a'], 'b'], parameters: { is_split_into_words: true } }), /not a mix/);
    refused(() => parse({ inputs: [['a', 1]], parameters: { is_split_into_words: true } }), /"inputs"\[0\]\[1\] must be a string, got number/);
  });

  it('bodies: strict UTF-8 (BOM allowed), JSON, not empty', () => {
    assert.deepEqual(parseJsonBody(new TextEncoder().encode('{"inputs": "Zürich 😀"}')), { inputs: 'Zürich 😀' });
    assert.deepEqual(parseJsonBody(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"inputs":"a"}')])), { inputs: 'a' });
    refused(() => parseJsonBody(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])), /not valid UTF-8 \(byte 2\)/);
    refused(() => parseJsonBody(new Uint8Array([0x22, 0x61, 0xed, 0xa0, 0x80, 0x22])), /not valid UTF-8 \(byte 2\)/); // an encoded surrogate
    refused(() => parseJsonBody(new Uint8Array([0x22, 0xe2, 0x82])), /not valid UTF-8 \(byte 1\)/); // cut short
    refused(() => parseJsonBody(new TextEncoder().encode('{"inputs": ')), /not valid JSON/);
    refused(() => parseJsonBody(new TextEncoder().encode('  \n')), /the body is empty/);
  });
});
