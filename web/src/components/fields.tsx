// Form fields shared by the forms: pickers over long option lists (the directory, the
// accounts one may request) and a duration in hours and minutes.

import { useMemo, type ReactNode } from 'react';
import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Multiselect, { type MultiselectProps } from '@cloudscape-design/components/multiselect';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';

/** Whether a picker scrolls virtually: above 200 options (10,000 accounts stay fast). */
export function isLong(options: readonly unknown[]): boolean {
  return options.length > 200;
}

/** The options for the selected ids; ids missing from the options still show. */
function selected(options: MultiselectProps.Option[], ids: readonly string[]): MultiselectProps.Option[] {
  const byValue = new Map(options.map((o) => [o.value, o]));
  return ids.map((id) => byValue.get(id) ?? { value: id, label: id });
}

function ids(options: readonly MultiselectProps.Option[]): string[] {
  return options.map((o) => o.value ?? '').filter(Boolean);
}

/** A form field choosing any number of ids from `options` (filtered as one types). */
export function MultiPicker({
  label,
  description,
  errorText,
  options,
  value,
  onChange,
  placeholder,
  loading,
  virtualScroll = false,
  testId,
}: {
  label: ReactNode;
  description?: string;
  errorText: string | undefined;
  options: MultiselectProps.Option[];
  value: readonly string[];
  onChange: (ids: string[]) => void;
  placeholder: string;
  loading: boolean;
  /** Scroll virtually when the list is long. */
  virtualScroll?: boolean;
  testId: string;
}) {
  const selectedOptions = useMemo(() => selected(options, value), [options, value]);
  return (
    <FormField label={label} description={description} errorText={errorText}>
      <Multiselect
        selectedOptions={selectedOptions}
        onChange={(e) => onChange(ids(e.detail.selectedOptions))}
        options={options}
        filteringType="auto"
        virtualScroll={virtualScroll ? isLong(options) : undefined}
        tokenLimit={5}
        placeholder={placeholder}
        statusType={loading ? 'loading' : 'finished'}
        data-testid={testId}
      />
    </FormField>
  );
}

/**
 * A form field choosing one id of one kind: radio buttons for the kind, then a picker
 * over `options` (the options of the chosen kind).
 */
export function KindPicker<K extends string>({
  label,
  errorText,
  kind,
  kinds,
  onKind,
  options,
  value,
  onChange,
  placeholder,
  loading,
  testId,
}: {
  label: string;
  errorText: string | undefined;
  kind: K;
  kinds: { value: K; label: string }[];
  onKind: (kind: K) => void;
  options: MultiselectProps.Option[];
  value: string;
  onChange: (id: string) => void;
  placeholder: string;
  loading: boolean;
  testId: string;
}) {
  return (
    <FormField label={label} errorText={errorText}>
      <SpaceBetween size="s">
        <RadioGroup value={kind} onChange={(e) => onKind(e.detail.value as K)} items={kinds} />
        <Select
          selectedOption={value ? selected(options, [value])[0] : null}
          onChange={(e) => onChange(e.detail.selectedOption.value ?? '')}
          options={options}
          filteringType="auto"
          virtualScroll={isLong(options)}
          placeholder={placeholder}
          statusType={loading ? 'loading' : 'finished'}
          data-testid={testId}
        />
      </SpaceBetween>
    </FormField>
  );
}

/** Whole hours and minutes side by side (the contents of a duration's form field). */
export function DurationInput({
  hours,
  minutes,
  onHours,
  onMinutes,
  testIds,
  numeric,
  invalid,
}: {
  hours: string;
  minutes: string;
  onHours: (value: string) => void;
  onMinutes: (value: string) => void;
  /** The test ids of the hours and of the minutes input. */
  testIds: [string, string];
  /** Ask touch keyboards for digits. */
  numeric?: boolean;
  invalid?: boolean;
}) {
  const parts = [
    { unit: 'hours', label: 'Hours', value: hours, onChange: onHours, testId: testIds[0] },
    { unit: 'minutes', label: 'Minutes', value: minutes, onChange: onMinutes, testId: testIds[1] },
  ];
  return (
    <SpaceBetween direction="horizontal" size="xs" alignItems="center">
      {parts.flatMap((p) => [
        <div key={p.unit} style={{ width: 90 }}>
          <Input
            type="number"
            inputMode={numeric ? 'numeric' : undefined}
            value={p.value}
            onChange={(e) => p.onChange(e.detail.value)}
            ariaLabel={p.label}
            invalid={invalid}
            data-testid={p.testId}
          />
        </div>,
        <Box key={`${p.unit}-unit`} variant="span">
          {p.unit}
        </Box>,
      ])}
    </SpaceBetween>
  );
}
