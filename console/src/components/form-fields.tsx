import { useState } from 'preact/hooks';

/**
 * A form's text inputs held in one state object: `field(name, label)` renders a labelled input
 * bound to `form[name]`, so a view lists its fields instead of wiring each one.
 */
export function useFormFields<Fields extends Record<string, string>>(initial: Fields) {
  const [form, setForm] = useState(initial);
  const field = (name: keyof Fields & string, label: string, placeholder = '', type = 'text') => (
    <label>
      {label}{' '}
      <input
        name={name}
        type={type}
        step={type === 'number' ? 'any' : undefined}
        placeholder={placeholder}
        value={form[name]}
        onInput={(e) => setForm({ ...form, [name]: e.currentTarget.value })}
      />
    </label>
  );
  return { form, setForm, field };
}
