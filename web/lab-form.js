// A lab's form, made from its body schema in /docs/json: one labelled field per scalar property, a fieldset per
// nested object (the GIL lab's hold, convoy, speedup, release), a list field per array (executor's styles); a real
// submit button, a status line, and where its answer is drawn.

import { api } from './api.js'
import { el } from './dom.js'
import { field, listField } from './form.js'

export const bodyOf = (openapi, path) => openapi.paths[path]?.post?.requestBody?.content?.['application/json']?.schema

/** One property's control: { element, read } (read() undefined when it says the default), or undefined. */
function labField (name, property, { idPrefix, namePrefix = '', required, value }) {
  if (property.type === 'array') return listField(name, property, { idPrefix, namePrefix, value })
  if (property.type === 'object') {
    const parts = Object.entries(property.properties ?? {})
      .map(([sub, schema]) => [sub, labField(sub, schema, { idPrefix, namePrefix: `${namePrefix}${name}.`, value: value?.[sub] })])
      .filter(([, made]) => made)
    if (parts.length === 0) return undefined
    return {
      element: el('fieldset', {}, el('legend', {}, name), property.description ? el('p', { class: 'hint' }, property.description) : undefined,
        el('div', { class: 'fields' }, parts.map(([, made]) => made.element))),
      read: () => {
        const entries = parts.map(([sub, made]) => [sub, made.read()]).filter(([, set]) => set !== undefined)
        return entries.length > 0 ? Object.fromEntries(entries) : undefined
      }
    }
  }
  return field(name, property, { idPrefix, namePrefix, required, value })
}

/** A lab's section: its form, a button, where the answer goes. picture(result, holder) gives the answer's parts. */
export function labForm (container, { id, title, what, schema, path, picture, presets = {}, action = `Run ${title.toLowerCase()}` }) {
  const properties = Object.entries(schema?.properties ?? {})
  const made = properties.map(([name, property]) => {
    const required = schema.required?.includes(name) ?? false
    return [name, labField(name, property, { idPrefix: id, required, value: presets[name] ?? (required ? property.default : undefined) })]
  }).filter(([, one]) => one)
  const scalars = made.filter(([name]) => schema.properties[name].type !== 'object')
  const nested = made.filter(([name]) => schema.properties[name].type === 'object')
  const status = el('span', { role: 'status', id: `${id}-status` })
  const answer = el('div', { id: `${id}-answer` })
  const form = el('form', { id: `${id}-form`, 'aria-label': `${title} lab` },
    el('div', { class: 'fields' }, scalars.map(([, one]) => one.element)),
    nested.map(([, one]) => one.element),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, action), status))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = Object.fromEntries(made.map(([name, one]) => [name, one.read()]).filter(([, value]) => value !== undefined))
    const button = form.querySelector('button[type="submit"]')
    button.disabled = true
    status.textContent = 'running…'
    try {
      const result = await api(path, { method: 'POST', body })
      // The status line is what a screen reader announces (role=status); the answer itself may be long.
      status.textContent = 'done, the answer is below'
      answer.replaceChildren(...[picture(result, answer)].flat(Infinity).filter(Boolean))
    } catch (error) {
      status.textContent = `${error.code ?? 'ERROR'}: ${error.message}`
    } finally {
      button.disabled = false
    }
  })
  container.append(el('div', { class: 'lab', id }, el('h3', {}, title), el('p', { class: 'hint' }, what), form, answer))
}
