// The state of an edit form: its fields (null until loaded), the errors beside fields and
// above the form, and a save that checks the fields, sends them and shows what the server
// refused. Used by the admin forms (policies, settings).

import { useEffect, useState } from 'react';
import { splitError, type FieldErrors } from './errors';

/** The keys of `F` whose values are `V`. */
type KeysOf<F, V> = { [K in keyof F]-?: F[K] extends V ? K : never }[keyof F];

/**
 * Fills `errors` with what is wrong with `form` and returns how to send it; returns
 * nothing when it cannot be sent. Nothing is sent while `errors` is not empty.
 */
export type Check<F> = (form: F, errors: FieldErrors) => (() => Promise<void>) | undefined;

export interface FormState<F> {
  /** The fields; null until `loaded` arrives (when there is no `initial`). */
  form: F | null;
  set: (patch: Partial<F>) => void;
  /** `value` and `onChange` of an Input or Autosuggest bound to a text field. */
  text: (key: KeysOf<F, string>) => { value: string; onChange: (e: { detail: { value: string } }) => void };
  /** `checked` and `onChange` of a Toggle or Checkbox bound to a yes/no field. */
  flag: (key: KeysOf<F, boolean>) => { checked: boolean; onChange: (e: { detail: { checked: boolean } }) => void };
  /** `value` and `onChange` of a MultiPicker bound to a list of ids. */
  ids: (key: KeysOf<F, string[]>) => { value: string[]; onChange: (ids: string[]) => void };
  /** Messages beside fields, by server field name. */
  errors: FieldErrors;
  /** A failure that concerns no field, for the top of the form. */
  general: string | null;
  /** True while sending. */
  busy: boolean;
  /** Checks, then sends; a server error naming one of `fields` shows beside it. */
  submit: (check: Check<F>) => Promise<void>;
}

/**
 * `initial` is the form to start with (a new item), or null to wait for `loaded`, which
 * `toForm` turns into the fields once. `fields` are the server field names shown beside
 * their inputs; any other failure is `general`.
 */
export function useForm<F, T>(
  fields: readonly string[],
  initial: F | null,
  loaded: T | null | undefined,
  toForm: (loaded: T) => F,
): FormState<F> {
  const [form, setForm] = useState<F | null>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (loaded && form === null) setForm(toForm(loaded));
  }, [loaded, form, toForm]);

  const set = (patch: Partial<F>) => setForm((f) => (f ? { ...f, ...patch } : f));

  const submit = async (check: Check<F>) => {
    if (!form) return;
    const errs: FieldErrors = {};
    const send = check(form, errs);
    setErrors(errs);
    setGeneral(null);
    if (Object.keys(errs).length || !send) return;
    setBusy(true);
    try {
      await send();
    } catch (err) {
      const split = splitError(err, fields);
      setErrors(split.fieldErrors);
      setGeneral(split.general);
    } finally {
      setBusy(false);
    }
  };

  return {
    form,
    set,
    text: (key) => ({
      value: form ? (form[key] as string) : '',
      onChange: (e) => set({ [key]: e.detail.value } as Partial<F>),
    }),
    flag: (key) => ({
      checked: form ? (form[key] as boolean) : false,
      onChange: (e) => set({ [key]: e.detail.checked } as Partial<F>),
    }),
    ids: (key) => ({
      value: form ? (form[key] as string[]) : [],
      onChange: (ids) => set({ [key]: ids } as Partial<F>),
    }),
    errors,
    general,
    busy,
    submit,
  };
}
