import type { ChangeEvent, KeyboardEvent, Ref } from 'react';

type Props = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: string;
  required?: boolean;
  autoFocus?: boolean;
  large?: boolean;
  /** Enter in the field: return false to keep the form from submitting (the default submits). */
  onEnter?: () => boolean;
  inputRef?: Ref<HTMLInputElement>;
  testId?: string;
};

/** A text field that takes wedge scans as its own input (`data-scan-input`). */
export function ScanField(props: Props) {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  return (
    <div className={props.large ? 'field scan-field-large' : 'field'}>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        ref={props.inputRef}
        type="text"
        data-scan-input=""
        data-testid={props.testId}
        value={props.value}
        onChange={(e: ChangeEvent<HTMLInputElement>) => props.onChange(e.target.value)}
        onKeyDown={(e: KeyboardEvent<HTMLInputElement>) => {
          if (e.key === 'Enter' && props.onEnter && !props.onEnter()) e.preventDefault();
        }}
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        required={props.required}
        autoFocus={props.autoFocus}
        aria-describedby={hintId}
      />
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}
