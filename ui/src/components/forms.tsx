import {
  useEffect,
  useRef,
  type ChangeEvent,
  type HTMLInputTypeAttribute,
  type ReactNode,
} from 'react';

type FieldProps = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: HTMLInputTypeAttribute;
  autoComplete?: string;
  required?: boolean;
  autoFocus?: boolean;
  hint?: string;
  disabled?: boolean;
  min?: number;
  max?: number;
  list?: string;
  placeholder?: string;
  spellCheck?: boolean;
};

/** A labelled input with an optional hint underneath (linked by aria-describedby). */
export function Field(props: FieldProps) {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        type={props.type ?? 'text'}
        value={props.value}
        onChange={(e: ChangeEvent<HTMLInputElement>) => props.onChange(e.target.value)}
        autoComplete={props.autoComplete ?? 'off'}
        required={props.required}
        autoFocus={props.autoFocus}
        aria-describedby={hintId}
        disabled={props.disabled}
        min={props.min}
        max={props.max}
        list={props.list}
        placeholder={props.placeholder}
        spellCheck={props.spellCheck ?? false}
        autoCapitalize="off"
      />
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

type SelectFieldProps<V extends string> = {
  id: string;
  label: string;
  value: V;
  onChange: (value: V) => void;
  options: readonly { value: V; label: string }[];
  disabled?: boolean;
};

export function SelectField<V extends string>(props: SelectFieldProps<V>) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        name={props.id}
        value={props.value}
        disabled={props.disabled}
        onChange={(e: ChangeEvent<HTMLSelectElement>) => {
          const chosen = props.options.find((o) => o.value === e.target.value);
          if (chosen) props.onChange(chosen.value);
        }}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * The region where a form's errors appear. It is always in the page, so assistive technology
 * announces a message as soon as it is set.
 */
export function ErrorAlert({ message, testId }: { message: string | null; testId?: string }) {
  return (
    <div
      role="alert"
      className={message ? 'alert alert-error' : 'alert-empty'}
      data-testid={testId}
    >
      {message}
    </div>
  );
}

/** A polite status region for confirmations ("Password changed."). */
export function StatusMessage({ message, testId }: { message: string | null; testId?: string }) {
  return (
    <div
      role="status"
      className={message ? 'alert alert-success' : 'alert-empty'}
      data-testid={testId}
    >
      {message}
    </div>
  );
}

export function SubmitButton({
  busy,
  busyLabel,
  children,
  variant = 'primary',
  disabled,
}: {
  busy: boolean;
  busyLabel: string;
  children: ReactNode;
  variant?: 'primary' | 'danger';
  disabled?: boolean;
}) {
  return (
    <button
      type="submit"
      className={`button button-${variant}`}
      disabled={busy || disabled}
      aria-busy={busy}
    >
      {busy ? busyLabel : children}
    </button>
  );
}

/** A page's main heading; it takes focus when the page opens, so keyboard users start there. */
export function PageHeading({ children, focus = true }: { children: ReactNode; focus?: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus();
  }, [focus]);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}
