// A form generated from a JSON schema (the job spec's, as /docs/json publishes it): one labelled field per
// property, its limits under it, and a reader that returns only what the user set (the service fills defaults).

import { el } from './dom.js'

let uid = 0

const isNumeric = (schema) => schema.type === 'integer' || schema.type === 'number'
/** The integer branch of `integer | 'auto'` (batch). */
const numericBranch = (schema) => (schema.anyOf ?? schema.oneOf ?? []).find(isNumeric)
const literalBranch = (schema) => (schema.anyOf ?? schema.oneOf ?? []).find((branch) => branch.const !== undefined || branch.enum?.length === 1)

function limitsText (schema) {
  const parts = []
  const low = schema.minimum ?? (typeof schema.exclusiveMinimum === 'number' ? `> ${schema.exclusiveMinimum}` : undefined)
  if (low !== undefined && schema.maximum !== undefined) parts.push(`${low} … ${schema.maximum}`)
  else if (low !== undefined) parts.push(typeof low === 'number' ? `≥ ${low}` : low)
  else if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`)
  if (schema.default !== undefined && typeof schema.default !== 'object') parts.push(`default ${schema.default}`)
  return parts.join(', ')
}

/** The first sentence of a schema description (the whole one is the field's title). */
const brief = (text = '') => text.split(/(?<=[.;])\s|: (?=[a-z]+:)/)[0]

/**
 * One field for `schema` under `name`. Returns { element, read, input, hint } where read() is the value to send, or
 * undefined when the field is empty or holds the default.
 */
export function field (key, schema, { label = key, value, required = false, idPrefix = 'f', namePrefix = '' } = {}) {
  const name = `${namePrefix}${key}`
  const id = `${idPrefix}-${name.replace(/\W/g, '-')}-${++uid}`
  const hintId = `${id}-hint`
  const describe = { 'aria-describedby': hintId, title: schema.description }
  if (schema.enum) {
    // An optional field without a default (arrivals) can be left unset.
    const unset = !required && schema.default === undefined ? el('option', { value: '' }, '(not set)') : undefined
    const select = el('select', { id, name, ...describe }, unset,
      schema.enum.map((option) => el('option', { value: option, selected: option === (value ?? schema.default) }, option)))
    const hint = el('small', { id: hintId }, brief(schema.description))
    return {
      element: el('div', { class: 'field' }, el('label', { for: id }, label), select, hint),
      input: select,
      hint,
      read: () => (select.value !== '' && (required || select.value !== schema.default) ? select.value : undefined)
    }
  }
  if (schema.type === 'boolean') {
    const box = el('input', { id, name, type: 'checkbox', checked: value ?? schema.default === true, ...describe })
    const hint = el('small', { id: hintId, class: 'visually-hidden' }, brief(schema.description))
    return {
      element: el('div', { class: 'field check' }, box, el('label', { for: id }, label), hint),
      input: box,
      hint,
      read: () => (box.checked !== (schema.default === true) ? box.checked : undefined)
    }
  }
  const numeric = isNumeric(schema) ? schema : numericBranch(schema)
  if (numeric) {
    const literal = literalBranch(schema)
    const word = literal?.const ?? literal?.enum?.[0]
    const input = el('input', {
      id,
      name,
      type: 'number',
      inputmode: numeric.type === 'integer' ? 'numeric' : 'decimal',
      min: numeric.minimum ?? (typeof numeric.exclusiveMinimum === 'number' ? numeric.exclusiveMinimum : undefined),
      max: numeric.maximum,
      step: numeric.type === 'integer' ? 1 : 'any',
      required,
      value: value ?? undefined,
      placeholder: word ?? (schema.default !== undefined && typeof schema.default !== 'object' ? String(schema.default) : ''),
      ...describe
    })
    const limits = [limitsText(numeric), word ? `or empty: ${word}` : ''].filter(Boolean).join(', ')
    const hint = el('small', { id: hintId }, limits || brief(schema.description))
    return {
      element: el('div', { class: 'field' }, el('label', { for: id }, label), input, hint),
      input,
      hint,
      read: () => {
        if (input.value === '') return undefined
        const number = Number(input.value)
        return !required && number === schema.default ? undefined : number
      }
    }
  }
  if (schema.type === 'string') {
    const input = el('input', { id, name, type: 'text', ...describe })
    const hint = el('small', { id: hintId }, brief(schema.description))
    return { element: el('div', { class: 'field' }, el('label', { for: id }, label), input, hint), input, hint, read: () => input.value || undefined }
  }
  return undefined
}

/** A fieldset of an object schema's properties; read() gives the object of the fields set, or undefined. */
export function objectFields (legend, schema, { idPrefix = 'f', namePrefix = `${legend}.`, note } = {}) {
  const fields = Object.entries(schema.properties ?? {})
    .map(([name, property]) => [name, field(name, property, { idPrefix, namePrefix })])
    .filter(([, made]) => made !== undefined)
  const element = el('fieldset', {}, el('legend', {}, legend), note ? el('p', { class: 'hint' }, note) : undefined,
    el('div', { class: 'fields' }, fields.map(([, made]) => made.element)))
  return {
    element,
    fields: Object.fromEntries(fields),
    read: () => {
      const entries = fields.map(([name, made]) => [name, made.read()]).filter(([, value]) => value !== undefined)
      return entries.length > 0 ? Object.fromEntries(entries) : undefined
    }
  }
}

/** Each workload's params schema, from the spec's `allOf: [{ if: { workload: const }, then: { params } }]`. */
export function paramsByWorkload (specSchema) {
  const byWorkload = {}
  for (const rule of specSchema.allOf ?? []) {
    // (the OpenAPI document turns the schema's `const` into a one-value `enum`)
    const workload = rule.if?.properties?.workload?.const ?? rule.if?.properties?.workload?.enum?.[0]
    const params = rule.then?.properties?.params
    if (workload && params) byWorkload[workload] = params
  }
  return byWorkload
}

/**
 * A field for an array property of a lab's body: checkboxes for an array of enum values (executor's styles), a
 * comma-separated text for an array of numbers (the GIL lab's hold.threads). read() is undefined while it says the
 * default, so the service fills it; undefined for arrays of anything else (they keep their defaults).
 */
export function listField (key, schema, { label = key, value, idPrefix = 'f', namePrefix = '' } = {}) {
  const name = `${namePrefix}${key}`
  const id = `${idPrefix}-${name.replace(/\W/g, '-')}-${++uid}`
  const items = schema.items ?? {}
  const initial = value ?? schema.default
  const sameAsDefault = (list) => Array.isArray(schema.default) && list.length === schema.default.length && list.every((item, index) => item === schema.default[index])
  if (items.enum) {
    const boxes = items.enum.map((option) => {
      const boxId = `${id}-${String(option).replace(/\W/g, '-')}`
      const box = el('input', { id: boxId, name, type: 'checkbox', value: option, checked: initial?.includes(option) ?? false })
      return { box, element: el('span', { class: 'field check' }, box, el('label', { for: boxId }, option)) }
    })
    const element = el('fieldset', { class: 'list', title: schema.description }, el('legend', {}, label),
      boxes.map((one) => one.element), el('small', { class: 'hint' }, brief(schema.description)))
    return {
      element,
      read: () => {
        const picked = boxes.filter((one) => one.box.checked).map((one) => one.box.value)
        return sameAsDefault(picked) || (picked.length === 0 && schema.default === undefined) ? undefined : picked
      }
    }
  }
  if (!isNumeric(items)) return undefined
  const hintId = `${id}-hint`
  const number = items.type === 'integer' ? '-?\\d+' : '-?\\d+(\\.\\d+)?'
  const input = el('input', {
    id,
    name,
    type: 'text',
    inputmode: 'numeric',
    pattern: `\\s*${number}(\\s*,\\s*${number})*\\s*`,
    value: value?.join(', '),
    placeholder: Array.isArray(schema.default) ? schema.default.join(', ') : '',
    'aria-describedby': hintId,
    title: schema.description
  })
  const limits = limitsText(items)
  const hint = el('small', { id: hintId }, [`comma-separated${limits ? `, each ${limits}` : ''}`, Array.isArray(schema.default) ? `default ${schema.default.join(', ')}` : ''].filter(Boolean).join('; '))
  return {
    element: el('div', { class: 'field' }, el('label', { for: id }, label), input, hint),
    input,
    hint,
    read: () => {
      if (input.value.trim() === '') return undefined
      const list = input.value.split(',').map((part) => Number(part.trim()))
      return sameAsDefault(list) ? undefined : list
    }
  }
}
