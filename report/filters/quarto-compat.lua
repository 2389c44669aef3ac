--[[
quarto-compat.lua -- the Quarto-only syntax our sources use, resolved for plain pandoc
(`python -m analysis render`). Quarto itself does not use this filter.

* Figures with an id `fig-...` and tables with an id `tbl-...` are numbered in document order;
  their captions start with "Figure N." / "Table N." (bold), and a figure's `fig-alt`
  attribute becomes the image's alt text. Custom float kinds (e.g. `suppfig-...`,
  supplementary figures "Figure S1.", ...) are numbered on their own; they are written in
  Quarto's div syntax (image, then the caption paragraph), which Quarto needs for them.
* The words come from the document's `crossref` metadata as Quarto reads it (report/index.qmd's
  front matter): `fig-title`, `tbl-title` (captions), `fig-prefix`, `tbl-prefix` (references),
  `title-delim`, and `custom` kinds (`key`, `caption-prefix`, `reference-prefix`,
  `space-before-numbering`); Quarto's defaults otherwise. Spaces become no-break spaces, so a
  label never breaks across lines.
* Cross-references `@fig-x` / `@tbl-x` / `@suppfig-x` (parsed by pandoc as citations) become
  links "Figure N" / "Table N" / "Figure SN". An unknown label is an error, never left as text,
  and so is a group mixing both kinds (`[@fig-a; @smith2020]`), which citeproc would get whole.
* Numbered tables are wrapped in a div of class `table-block` (caption and table kept together).
* Callouts (`::: {.callout-note title="..."}`) become a div with classes `callout
  callout-note` and a title paragraph, styled by the stylesheets.

Runs before --citeproc, so citeproc only sees real bibliography citations.
--]]

local NBSP = "\u{00A0}"
local numbers = {}            -- label -> number
local counters = {}           -- kind -> figures or tables numbered so far
-- per kind: caption and reference prefix (number included), and whether it is a custom float
-- kind written in div syntax; Quarto's defaults until the metadata is read
local kinds = {
  fig = { caption = "Figure" .. NBSP, reference = "Figure" .. NBSP },
  tbl = { caption = "Table" .. NBSP, reference = "Table" .. NBSP },
}
local title_delim = ":"

local function text(value)
  return value ~= nil and pandoc.utils.stringify(value) or nil
end

local function label(prefix, space)
  return prefix:gsub(" ", NBSP) .. (space and NBSP or "")
end

-- pass 0: the crossref settings from the document's metadata
local function read_crossref(meta)
  local crossref = meta.crossref
  if type(crossref) ~= "table" then return nil end
  for _, key in ipairs({ "fig", "tbl" }) do
    local title = text(crossref[key .. "-title"])
    local prefix = text(crossref[key .. "-prefix"])
    if title then kinds[key].caption = label(title, true) end
    if prefix then kinds[key].reference = label(prefix, true) end
  end
  title_delim = text(crossref["title-delim"]) or title_delim
  for _, custom in ipairs(crossref.custom or {}) do
    local reference = text(custom["reference-prefix"])
    local space = custom["space-before-numbering"] ~= false
    kinds[text(custom.key)] = {
      caption = label(text(custom["caption-prefix"]) or reference, space),
      reference = label(reference, space),
      custom = true,
    }
  end
  return nil
end

local function kind_of(id)
  local key = id and id:match("^([%w]+)%-")
  return kinds[key] and key or nil
end

local function prefix_caption(caption, kind, n)
  local label = pandoc.Strong({ pandoc.Str(kinds[kind].caption .. n .. title_delim) })
  local blocks = caption.long
  if #blocks == 0 then
    blocks = { pandoc.Plain({ label }) }
  else
    local first = blocks[1]
    first.content:insert(1, pandoc.Space())
    first.content:insert(1, label)
  end
  caption.long = blocks
  return caption
end

-- pass 1: number figures and tables, prefix captions
local function number_figure(fig)
  local kind = kind_of(fig.identifier)
  if kind == nil or kind == "tbl" then return nil end
  counters[kind] = (counters[kind] or 0) + 1
  numbers[fig.identifier] = counters[kind]
  fig.caption = prefix_caption(fig.caption, kind, counters[kind])
  fig = fig:walk({
    Image = function(img)
      local alt = img.attributes["fig-alt"]
      if alt then
        img.attributes["fig-alt"] = nil
        img.attributes["alt"] = alt
      end
      return img
    end,
  })
  return fig
end

local function number_table(tbl)
  local kind = kind_of(tbl.identifier)
  if kind ~= "tbl" then return nil end
  counters.tbl = (counters.tbl or 0) + 1
  numbers[tbl.identifier] = counters.tbl
  tbl.caption = prefix_caption(tbl.caption, "tbl", counters.tbl)
  -- a wrapper keeps the caption with its table when the print stylesheet moves it to the next
  -- page (as Quarto's own float div does)
  return pandoc.Div({ tbl }, pandoc.Attr("", { "table-block" }))
end

-- pass 2: cross-references
local function resolve_refs(cite)
  local refs, others = {}, {}
  for _, c in ipairs(cite.citations) do
    table.insert(kind_of(c.id) and refs or others, "@" .. c.id)
  end
  if #refs == 0 then return nil end   -- bibliography citations: left to citeproc
  if #others > 0 then
    error("a citation group mixes cross-references (" .. table.concat(refs, ", ")
      .. ") with bibliography citations (" .. table.concat(others, ", ")
      .. "); write them apart, e.g. (" .. refs[1] .. ") [" .. others[1] .. "]", 0)
  end
  local out = pandoc.List()
  for i, c in ipairs(cite.citations) do
    local kind = kind_of(c.id)
    local n = numbers[c.id]
    if not n then
      error("cross-reference @" .. c.id .. " points to no figure or table with that id")
    end
    if i > 1 then out:insert(pandoc.Str(", ")) end
    out:insert(pandoc.Link({ pandoc.Str(kinds[kind].reference .. n) }, "#" .. c.id))
  end
  return out
end

-- callouts
local callout_titles = {
  note = "Note", tip = "Tip", warning = "Warning", important = "Important", caution = "Caution",
}

-- a custom float in Quarto's div syntax (::: {#suppfig-x} image, then the caption paragraph
-- :::) becomes a numbered figure like an image with a fig- id
local function float_div(div)
  local kind = kind_of(div.identifier)
  if not (kind and kinds[kind].custom) then return nil end
  local blocks = div.content
  local caption = blocks[#blocks]
  local body = pandoc.List()
  for i = 1, #blocks - 1 do body:insert(blocks[i]) end
  local figure = pandoc.Figure(body, { long = { pandoc.Plain(caption.content) } },
    pandoc.Attr(div.identifier))
  return number_figure(figure)
end

local function callout(div)
  for _, class in ipairs(div.classes) do
    local kind = class:match("^callout%-(%a+)$")
    if kind and callout_titles[kind] then
      local title = div.attributes["title"] or callout_titles[kind]
      div.attributes["title"] = nil
      div.classes:insert(1, "callout")
      div.content:insert(1, pandoc.Div({ pandoc.Plain({ pandoc.Strong({ pandoc.Str(title) }) }) },
        pandoc.Attr("", { "callout-title" })))
      return div
    end
  end
  return nil
end

return {
  { Meta = read_crossref },
  { Figure = number_figure, Table = number_table,
    Div = function(div) return float_div(div) or callout(div) end },
  { Cite = resolve_refs },
}
