/**
 * `Callable`: a base class whose instances are functions, for the objects Python calls directly
 * (`tokenizer(words)`, `data_collator(features)`, `model(**batch)`). The constructor returns the
 * given function with the subclass's prototype, so a subclass's fields — private ones too — are
 * installed on that function, and its methods and `instanceof` work as for any class. A subclass
 * declares its call signatures in an interface of the same name (declaration merging).
 */
export class Callable {
  constructor(fn: (...args: never[]) => unknown) {
    // The function's own `name` and `length` are configurable: drop them so that fields of those names stay possible.
    delete (fn as { name?: string }).name;
    delete (fn as { length?: number }).length;
    return Object.setPrototypeOf(fn, new.target.prototype) as Callable;
  }
}
