"""Visual NER: documents (PDFs, images, OCR output) to words with boxes, and chunks back to boxes.

The stages are pure between two edges: ``source`` reads a task's document (allowed folder, remote
URLs only when enabled, size caps), ``pdf`` / ``ocr`` / ``hocr`` turn it into ``Page``s of words
with boxes, ``PageText`` lays a page's words out as text and remembers which word every character
came from, and ``regions`` maps the chunks an engine found on that text back to one box per chunk
per line, as Label Studio ``rectanglelabels`` results.
"""
