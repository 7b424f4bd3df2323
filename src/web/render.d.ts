// Types of render.js (plain JavaScript so that a browser loads it without a build step).

/** What the renderer reads of an entity: Hugging Face's keys, aggregated (`entity_group`) or not (`entity`). */
export interface RenderableEntity {
  readonly entity_group?: string;
  readonly entity?: string;
  readonly score?: number;
  /** UTF-16 offsets into the text (`text.slice(start, end)`); entities without them are not drawn. */
  readonly start: number | null;
  readonly end: number | null;
}

/** CSS for the rendered entities and the legend (class names start with `tt-`). */
export const ENTITY_CSS: string;
export function escapeHtml(s: string): string;
/** `B-PER` → `PER`; a label without a B/I/E/S/L/U prefix is its own type. */
export function entityType(label: string): string;
export function entityLabel(e: RenderableEntity): string;
export function entityColour(type: string): string;
/** The entity types of entities (or of labels), sorted, without duplicates. */
export function entityTypes(entitiesOrLabels: Iterable<RenderableEntity | string>): string[];
/** Entities with offsets inside the text, sorted, overlaps dropped. */
export function placeableEntities<E extends RenderableEntity>(text: string, entities: readonly E[]): E[];
/** `<p class="tt-doc">` with each entity as a `<mark class="tt-ent" data-type data-label data-start data-end data-score>`. */
export function renderEntities(text: string, entities: readonly RenderableEntity[]): string;
/** `<ul class="tt-legend">`: a swatch and a name per type. */
export function renderLegend(types: readonly string[]): string;
export function documentStart(options: { title: string; types: readonly string[] }): string;
export function documentItem(text: string, entities: readonly RenderableEntity[]): string;
export function documentEnd(): string;
export function renderDocument(
  docs: readonly { text: string; entities: readonly RenderableEntity[] }[],
  options?: { title?: string; types?: readonly string[] },
): string;
