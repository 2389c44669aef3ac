--[[
docx-png.lua -- in DOCX output, an SVG image is replaced by its PNG twin (same path, `.png`),
which the figures step writes beside every SVG at 300 dpi. Word before 2016 and many viewers
show no SVG, and pandoc's DOCX writer only adds a raster fallback through `rsvg-convert`.

Listed under `format: docx: filters` in report/index.qmd: Quarto runs it for its DOCX, and the
built-in renderer (`python -m analysis render`) reads the same list. An SVG without a PNG twin
is left as it is. Other formats are untouched.
--]]

local function exists(path)
  local handle = io.open(path, "rb")
  if handle then
    handle:close()
    return true
  end
  return false
end

-- folders an image path may be relative to: the working directory, the resource path, and the
-- folder of the input file
local function search_dirs()
  local dirs = { "." }
  for _, dir in ipairs(PANDOC_STATE.resource_path or {}) do
    table.insert(dirs, dir)
  end
  local input = (PANDOC_STATE.input_files or {})[1]
  if input and input ~= "-" then
    table.insert(dirs, pandoc.path.directory(input))
  end
  return dirs
end

local function png_twin(src)
  local png, replaced = src:gsub("%.[sS][vV][gG]$", ".png")
  if replaced == 0 then return nil end
  if png:match("^/") then
    return exists(png) and png or nil
  end
  for _, dir in ipairs(search_dirs()) do
    if exists(pandoc.path.join({ dir, png })) then return png end
  end
  return nil
end

function Image(img)
  if not FORMAT:match("docx") then return nil end
  local png = png_twin(img.src)
  if not png then return nil end
  img.src = png
  return img
end
