<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE CHANNEL SYSTEM "http://www.w3c.org/Channel.dtd">
<CHANNEL HREF="http://weather.example/index.html" BASE="http://weather.example/" LASTMOD="1998-11-05T22:12">
<TITLE>Weather Channel</TITLE><ABSTRACT>Forecasts</ABSTRACT>
<ITEM HREF="today.html"><TITLE>Today</TITLE></ITEM>
</CHANNEL>
